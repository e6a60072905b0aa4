// Starts Swagger UI on /api/docs against the generated OpenAPI document (all assets local).
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#docs', deepLinking: true, withCredentials: true });
});
