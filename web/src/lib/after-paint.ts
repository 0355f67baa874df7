/**
 * Runs work after the browser has painted the current frame (a frame callback, then a task), so
 * that what the user reads first is on screen before secondary work (minimap, critical path)
 * takes the main thread. Returns a cancel function, the shape a Svelte `$effect` cleanup wants.
 */
export function afterPaint(work: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const frame = requestAnimationFrame(() => {
    timer = setTimeout(work, 0);
  });
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}
