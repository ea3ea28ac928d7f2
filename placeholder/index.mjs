// The placeholder image's handler: a scope's function runs it from creation until the
// first deployment replaces the image, and answers as the Zip placeholder does.
export const handler = async () => ({
  statusCode: 503,
  headers: { "content-type": "text/plain" },
  body: "No deployment yet",
});
