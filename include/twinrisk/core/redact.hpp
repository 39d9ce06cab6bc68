#pragma once
// Connection strings carry passwords; nothing twinrisk prints or writes may carry them on.

#include <string>
#include <string_view>

namespace twinrisk {

// `text` with every password in it replaced by ***: libpq keywords (`password=secret`,
// `password='with spaces'`, any case) and URIs (`postgresql://user:secret@host`).
std::string redact_secrets(std::string_view text);

}  // namespace twinrisk
