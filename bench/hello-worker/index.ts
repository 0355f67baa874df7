/**
 * Hello-world Worker for the ingest bench's ceiling: it reads the request body (as any ingest
 * must) and answers 200 with an empty protobuf ExportTraceServiceResponse, doing nothing else.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method === 'POST') await request.arrayBuffer();
    return new Response(new Uint8Array(0), { status: 200, headers: { 'content-type': 'application/x-protobuf' } });
  },
} satisfies ExportedHandler;
