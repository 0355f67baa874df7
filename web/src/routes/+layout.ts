/** The site is a static SPA: the Worker serves index.html for every page, and all data is fetched in the browser. */
export const ssr = false;
export const prerender = false;
