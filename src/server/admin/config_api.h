#pragma once

namespace httplib {
class Server;
}

namespace sluice {

class ConfigEditor;
class ApiAccess;
class Runtime;

// The admin API's staged-config routes, over a ConfigEditor:
//   GET/POST           /api/v1/{vips,server_groups}          (the draft's entries)
//   GET/PUT/PATCH/DELETE /api/v1/{vips,server_groups}/NAME   (If-Match: the entry's ETag)
//   POST, PUT/PATCH/DELETE /api/v1/certificates[/NAME]      (reading them is admin_api.h's)
// A group read here carries each server's live state beside its config (not in its ETag).
//   GET/PUT/POST       /api/v1/vips/NAME/rules    a VIP's ordered rules (POST ?position=N)
//   GET/PUT/PATCH/DELETE /api/v1/vips/NAME/rules/RULE  (a position or a rule's name)
//   POST               /api/v1/vips/NAME/rules/RULE/move  {"to": N}
//   GET                /api/v1/config[?draft=1]   the whole document, JSON or (Accept: yaml) YAML
//   GET/DELETE         /api/v1/changes            the diff, its validation and impact; discard
//   POST               /api/v1/changes/validate
//   POST               /api/v1/apply              If-Match: the reviewed changes' ETag
void addConfigApi(httplib::Server& server, ConfigEditor& editor, const ApiAccess& access,
                  const Runtime& runtime);

}  // namespace sluice
