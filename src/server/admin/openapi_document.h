#pragma once

namespace sluice {

// The admin API described as OpenAPI 3.1 (openapi.json beside this file, built into the
// binary), served at /api/v1/openapi.json. The tests check it with an OpenAPI validator and
// check real answers against the schemas it declares (test/js/check_openapi.mjs).
extern const char* const kOpenApiDocument;

}  // namespace sluice
