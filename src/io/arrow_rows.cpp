#include "arrow_rows.hpp"

#include <cpl_error.h>
#include <cpl_string.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace twinrisk::io {
namespace {

// The Arrow format each OGR field type is read as; 0 where the value would need formatting (dates,
// lists, binary) or converting (float32 to double, booleans), which GetNextFeature does its way.
char arrow_format(const OGRFieldDefn& field) {
  switch (field.GetType()) {
    case OFTInteger: return field.GetSubType() == OFSTNone ? 'i' : 0;
    case OFTInteger64: return field.GetSubType() == OFSTNone ? 'l' : 0;
    case OFTReal: return field.GetSubType() == OFSTNone ? 'g' : 0;
    case OFTString: return 'u';
    default: return 0;
  }
}

bool valid(const ArrowArray& array, std::int64_t index) {
  if (array.null_count == 0 || !array.buffers[0]) return true;
  const auto* bits = static_cast<const std::uint8_t*>(array.buffers[0]);
  return (bits[index / 8] >> (index % 8)) & 1;
}

}  // namespace

std::unique_ptr<ArrowRows> ArrowRows::open(GDALDataset& dataset, OGRLayer& layer, const std::vector<int>& fields) {
  if (!EQUAL(dataset.GetDriverName(), "GPKG") || layer.GetLayerDefn()->GetGeomFieldCount() != 1 ||
      !*layer.GetFIDColumn()) {
    return nullptr;
  }
  std::vector<char> formats;
  for (int field : fields) {
    const char format = arrow_format(*layer.GetLayerDefn()->GetFieldDefn(field));
    if (!format) return nullptr;
    formats.push_back(format);
  }
  // Fields nobody reads are left out of GDAL's query (OGR's ignored fields): real layers carry
  // dozens; the bench's points carry one, an integer (1M points: 0.18 -> 0.15 s of GDAL's CPU).
  // A field named OGR_GEOMETRY or OGR_STYLE is read: to SetIgnoredFields those names mean the
  // geometry and the style. The list is undone where the stream is declined, for the loader then
  // reads features from the same layer.
  const OGRFeatureDefn& defn = *layer.GetLayerDefn();
  std::vector<const char*> ignored;
  for (int f = 0; f < defn.GetFieldCount(); ++f) {
    const char* name = defn.GetFieldDefn(f)->GetNameRef();
    if (EQUAL(name, "OGR_GEOMETRY") || EQUAL(name, "OGR_STYLE")) continue;
    if (std::find(fields.begin(), fields.end(), f) == fields.end()) ignored.push_back(name);
  }
  ignored.push_back(nullptr);
  if (layer.SetIgnoredFields(ignored.data()) != OGRERR_NONE) layer.SetIgnoredFields(nullptr);
  struct KeepIgnored {
    OGRLayer& layer;
    bool kept = false;
    ~KeepIgnored() {
      if (!kept) layer.SetIgnoredFields(nullptr);
    }
  } keep{layer};
  std::unique_ptr<ArrowRows> rows(new ArrowRows());
  // Batches the size of the loader's (GDAL's default, 65,536 rows of polygons, can hold hundreds
  // of megabytes).
  const char* options[] = {"INCLUDE_FID=YES", "MAX_FEATURES_IN_BATCH=8192", nullptr};
  if (!layer.GetArrowStream(&rows->m_stream, options)) return nullptr;
  if (rows->m_stream.get_schema(&rows->m_stream, &rows->m_schema) != 0) return nullptr;
  // Children by name: the FID column, the geometry column (WKB, format "z") and the fields.
  const auto& schema = rows->m_schema;
  auto child_named = [&](const char* name) {
    for (std::int64_t c = 0; c < schema.n_children; ++c) {
      if (std::strcmp(schema.children[c]->name, name) == 0) return static_cast<int>(c);
    }
    return -1;
  };
  auto has_format = [&](int child, const char* format) {
    return child >= 0 && std::strcmp(schema.children[child]->format, format) == 0;
  };
  rows->m_fid_child = child_named(layer.GetFIDColumn());
  rows->m_geometry_child = child_named(layer.GetGeometryColumn());
  if (!has_format(rows->m_fid_child, "l") || !has_format(rows->m_geometry_child, "z")) return nullptr;
  for (std::size_t k = 0; k < fields.size(); ++k) {
    const int child = child_named(layer.GetLayerDefn()->GetFieldDefn(fields[k])->GetNameRef());
    const char format[2] = {formats[k], '\0'};
    if (!has_format(child, format)) return nullptr;
    rows->m_field_children.push_back(child);
  }
  rows->m_field_formats = std::move(formats);
  keep.kept = true;
  return rows;
}

ArrowRows::~ArrowRows() {
  release_batch();
  if (m_schema.release) m_schema.release(&m_schema);
  if (m_stream.release) m_stream.release(&m_stream);
}

void ArrowRows::release_batch() {
  if (m_batch.release) m_batch.release(&m_batch);
  m_batch = ArrowArray{};
}

bool ArrowRows::next() {
  while (!m_batch.release || ++m_row >= m_batch.length) {
    release_batch();
    if (!m_failure.empty()) throw std::runtime_error(m_failure);
    CPLErrorReset();
    if (const int error = m_stream.get_next(&m_stream, &m_batch); error != 0) {
      const char* message = m_stream.get_last_error(&m_stream);
      throw std::runtime_error(message && *message ? message : std::strerror(error));
    }
    // GDAL 3.6 tells a damaged page only as a CPL error, with the rows read before it, and then
    // returns empty batches for ever: those rows are used, then the read fails.
    if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal) m_failure = CPLGetLastErrorMsg();
    if (!m_batch.release) {  // the end of the stream
      if (!m_failure.empty()) throw std::runtime_error(m_failure);
      return false;
    }
    m_row = -1;
  }
  return true;
}

std::int64_t ArrowRows::fid() const {
  const auto& column = *m_batch.children[m_fid_child];
  return static_cast<const std::int64_t*>(column.buffers[1])[column.offset + m_batch.offset + m_row];
}

std::span<const unsigned char> ArrowRows::wkb() const {
  const auto& column = *m_batch.children[m_geometry_child];
  const std::int64_t index = column.offset + m_batch.offset + m_row;
  if (!valid(column, index)) return {};
  const auto* offsets = static_cast<const std::int32_t*>(column.buffers[1]);
  const auto* data = static_cast<const unsigned char*>(column.buffers[2]);
  return {data + offsets[index], static_cast<std::size_t>(offsets[index + 1] - offsets[index])};
}

Value ArrowRows::value(std::size_t k) const {
  const auto& column = *m_batch.children[m_field_children[k]];
  const std::int64_t index = column.offset + m_batch.offset + m_row;
  if (!valid(column, index)) return std::monostate{};
  switch (m_field_formats[k]) {
    case 'i': return std::int64_t{static_cast<const std::int32_t*>(column.buffers[1])[index]};
    case 'l': return static_cast<const std::int64_t*>(column.buffers[1])[index];
    case 'g': return static_cast<const double*>(column.buffers[1])[index];
    default: {
      const auto* offsets = static_cast<const std::int32_t*>(column.buffers[1]);
      const auto* data = static_cast<const char*>(column.buffers[2]);
      return std::string(data + offsets[index], data + offsets[index + 1]);
    }
  }
}

}  // namespace twinrisk::io
