#pragma once
// The two ResultWriter implementations, chosen by open_result_writer().

#include "twinrisk/core/error.hpp"
#include "twinrisk/io/result_writer.hpp"

namespace twinrisk::io {

std::unique_ptr<ResultWriter> open_folder_writer(const std::filesystem::path& folder, const PlannedOutputs& outputs,
                                                 bool overwrite);
std::unique_ptr<ResultWriter> open_postgis_writer(const std::string& connection, const std::string& schema,
                                                  const PlannedOutputs& outputs, bool overwrite);

}  // namespace twinrisk::io
