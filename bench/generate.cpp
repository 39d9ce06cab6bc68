// twinrisk-bench-gen: deterministic synthetic benchmark data (GeoPackage, EPSG:3035).
//
//   twinrisk-bench-gen --municipalities N --hazards M --seed S -o OUT.gpkg [--countries K]
//                      [--river-segments R] [--points P] [--roads R]
//   twinrisk-bench-gen --pairs N --seed S -o OUT.gpkg
//
// Layers (see bench/README.md):
//   municipalities  Voronoi cells (~25 km² each) of jittered grid points, grouped into K countries
//   rivers          meandering lines crossing the extent
//   river_network   (--river-segments) R line features of 1 km: the rivers and their tributaries
//   hazard          M polygons of classes 1..3 along the rivers, overlapping, 20..200 vertices
//   points, roads   (--points, --roads) assets for the exposure job: points anywhere in the extent,
//                   road segments of 2..6 vertices and 0.3..3 km; field category
//   a, b            (--pairs) two offset jittered tessellations of N polygons each
//
// Same arguments give the same geometry and attributes: all randomness comes from
// std::mt19937_64 (whose output sequence is fixed by the standard) through our own mappings to
// doubles, and the GeoPackage timestamps are pinned with OGR_CURRENT_DATE.

#include <geos_c.h>

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace {

constexpr double kCellAreaM2 = 25.0e6;    // target municipality size
constexpr double kOriginX = 4'000'000.0;  // EPSG:3035, central Europe
constexpr double kOriginY = 2'700'000.0;
constexpr double kRiverStepM = 250.0;     // vertex spacing along rivers
constexpr double kPairCellM = 1000.0;     // polygon size in --pairs mode
constexpr int kMinHazardVertices = 20;
constexpr int kMaxHazardVertices = 200;

// ---------------------------------------------------------------- randomness

class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_engine(seed) {}
    // Uniform in [0, 1) from the top 53 bits: the same on every platform.
    double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    // Uniform integer in [0, n) (n > 0); rejection sampling, no modulo bias.
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        std::uint64_t v = m_engine();
        while (v >= limit) v = m_engine();
        return v % n;
    }
    // Standard normal (Box-Muller, one value per call).
    double normal() {
        const double u1 = 1.0 - uniform();  // (0, 1]
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    }
    // An independent stream for a sub-task, so adding draws in one part keeps the others stable.
    Rng fork(std::uint64_t salt) { return Rng(m_engine() ^ (salt * 0x9E3779B97F4A7C15ULL)); }

private:
    std::mt19937_64 m_engine;
};

// ---------------------------------------------------------------- GEOS, owned

struct XY {
    double x;
    double y;
};

class Geos {
public:
    Geos() : m_ctx(GEOS_init_r()) {
        if (m_ctx == nullptr) throw std::runtime_error("GEOS_init_r failed");
        GEOSContext_setErrorMessageHandler_r(m_ctx, &Geos::on_error, nullptr);
    }
    ~Geos() { GEOS_finish_r(m_ctx); }
    Geos(const Geos&) = delete;
    Geos& operator=(const Geos&) = delete;
    GEOSContextHandle_t get() const { return m_ctx; }

private:
    static void on_error(const char* message, void*) { std::cerr << "GEOS: " << message << '\n'; }
    GEOSContextHandle_t m_ctx;
};

struct GeomDeleter {
    GEOSContextHandle_t ctx;
    void operator()(GEOSGeometry* g) const { GEOSGeom_destroy_r(ctx, g); }
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeomDeleter>;

struct CoordSeqDeleter {
    GEOSContextHandle_t ctx;
    void operator()(GEOSCoordSequence* s) const { GEOSCoordSeq_destroy_r(ctx, s); }
};
using CoordSeqPtr = std::unique_ptr<GEOSCoordSequence, CoordSeqDeleter>;

struct WkbDeleter {
    GEOSContextHandle_t ctx;
    void operator()(unsigned char* p) const { GEOSFree_r(ctx, p); }
};

// Wraps the result of a GEOS call, turning a null return into an exception.
GeomPtr own(GEOSContextHandle_t ctx, GEOSGeometry* g, const char* what) {
    if (g == nullptr) throw std::runtime_error(std::string("GEOS operation failed: ") + what);
    return GeomPtr(g, GeomDeleter{ctx});
}

CoordSeqPtr make_seq(GEOSContextHandle_t ctx, const std::vector<XY>& pts) {
    static_assert(sizeof(XY) == 2 * sizeof(double));
    GEOSCoordSequence* s = GEOSCoordSeq_copyFromBuffer_r(
        ctx, reinterpret_cast<const double*>(pts.data()), static_cast<unsigned>(pts.size()), 0, 0);
    if (s == nullptr) throw std::runtime_error("GEOSCoordSeq_copyFromBuffer_r failed");
    return CoordSeqPtr(s, CoordSeqDeleter{ctx});
}

GeomPtr make_point(GEOSContextHandle_t ctx, XY p) {
    return own(ctx, GEOSGeom_createPointFromXY_r(ctx, p.x, p.y), "createPoint");
}

GeomPtr make_line(GEOSContextHandle_t ctx, const std::vector<XY>& pts) {
    return own(ctx, GEOSGeom_createLineString_r(ctx, make_seq(ctx, pts).release()), "createLineString");
}

// A polygon without holes; closes the ring if needed.
GeomPtr make_polygon(GEOSContextHandle_t ctx, std::vector<XY> ring) {
    if (ring.front().x != ring.back().x || ring.front().y != ring.back().y) ring.push_back(ring.front());
    GEOSGeometry* shell = GEOSGeom_createLinearRing_r(ctx, make_seq(ctx, ring).release());
    if (shell == nullptr) throw std::runtime_error("GEOSGeom_createLinearRing_r failed");
    return own(ctx, GEOSGeom_createPolygon_r(ctx, shell, nullptr, 0), "createPolygon");
}

GeomPtr make_rect(GEOSContextHandle_t ctx, double x0, double y0, double x1, double y1) {
    return make_polygon(ctx, {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}});
}

// Takes ownership of every member.
GeomPtr make_collection(GEOSContextHandle_t ctx, int type, std::vector<GeomPtr> members) {
    std::vector<GEOSGeometry*> raw;
    raw.reserve(members.size());
    for (auto& m : members) raw.push_back(m.release());
    GEOSGeometry* c = GEOSGeom_createCollection_r(ctx, type, raw.data(), static_cast<unsigned>(raw.size()));
    if (c == nullptr) {
        for (GEOSGeometry* g : raw) GEOSGeom_destroy_r(ctx, g);
        throw std::runtime_error("GEOSGeom_createCollection_r failed");
    }
    return GeomPtr(c, GeomDeleter{ctx});
}

GeomPtr clone_part(GEOSContextHandle_t ctx, const GEOSGeometry* g, int i) {
    return own(ctx, GEOSGeom_clone_r(ctx, GEOSGetGeometryN_r(ctx, g, i)), "clone");
}

double area(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
    double a = 0.0;
    GEOSArea_r(ctx, g, &a);
    return a;
}

// The largest polygon of a (multi)polygon result, or nothing when it has no area.
std::optional<GeomPtr> largest_polygon(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
    const int n = GEOSGetNumGeometries_r(ctx, g);
    int best = -1;
    double best_area = 0.0;
    for (int i = 0; i < n; ++i) {
        const GEOSGeometry* part = GEOSGetGeometryN_r(ctx, g, i);
        if (GEOSGeomTypeId_r(ctx, part) != GEOS_POLYGON) continue;
        const double a = area(ctx, part);
        if (a > best_area) {
            best_area = a;
            best = i;
        }
    }
    if (best < 0) return std::nullopt;
    return clone_part(ctx, g, best);
}

// ---------------------------------------------------------------- GeoPackage output

struct FieldDef {
    const char* name;
    OGRFieldType type;
};

using FieldValue = std::variant<std::string, std::int64_t>;

class GpkgWriter {
public:
    GpkgWriter(const std::string& path, GEOSContextHandle_t ctx) : m_ctx(ctx), m_wkb(nullptr, WkbDeleter{ctx}) {
        GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
        if (driver == nullptr) throw std::runtime_error("GDAL has no GPKG driver");
        std::error_code ec;
        std::filesystem::remove(path, ec);
        m_ds.reset(driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        if (!m_ds) throw std::runtime_error("cannot create " + path + ": " + CPLGetLastErrorMsg());
        m_srs.importFromEPSG(3035);
        m_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        m_writer = GEOSWKBWriter_create_r(ctx);
    }
    ~GpkgWriter() { GEOSWKBWriter_destroy_r(m_ctx, m_writer); }
    GpkgWriter(const GpkgWriter&) = delete;
    GpkgWriter& operator=(const GpkgWriter&) = delete;

    void begin_layer(const char* name, OGRwkbGeometryType type, const std::vector<FieldDef>& fields) {
        char** options = nullptr;
        options = CSLSetNameValue(options, "GEOMETRY_NAME", "geom");
        options = CSLSetNameValue(options, "FID", "fid");
        m_layer = m_ds->CreateLayer(name, &m_srs, type, options);
        CSLDestroy(options);
        if (m_layer == nullptr) throw std::runtime_error(std::string("cannot create layer ") + name);
        for (const FieldDef& f : fields) {
            OGRFieldDefn defn(f.name, f.type);
            if (m_layer->CreateField(&defn) != OGRERR_NONE)
                throw std::runtime_error(std::string("cannot create field ") + f.name);
        }
        if (m_ds->StartTransaction() != OGRERR_NONE) throw std::runtime_error("cannot start transaction");
    }

    void add(const GEOSGeometry* g, const std::vector<FieldValue>& values) {
        std::size_t size = 0;
        m_wkb.reset(GEOSWKBWriter_write_r(m_ctx, m_writer, g, &size));
        if (!m_wkb) throw std::runtime_error("GEOSWKBWriter_write_r failed");
        OGRGeometry* geom = nullptr;
        if (OGRGeometryFactory::createFromWkb(m_wkb.get(), &m_srs, &geom, size) != OGRERR_NONE)
            throw std::runtime_error("OGR cannot read GEOS WKB");
        auto feature = std::make_unique<OGRFeature>(m_layer->GetLayerDefn());
        feature->SetGeometryDirectly(geom);
        for (std::size_t i = 0; i < values.size(); ++i) {
            const int idx = static_cast<int>(i);
            if (const auto* s = std::get_if<std::string>(&values[i])) feature->SetField(idx, s->c_str());
            else feature->SetField(idx, static_cast<GIntBig>(std::get<std::int64_t>(values[i])));
        }
        if (m_layer->CreateFeature(feature.get()) != OGRERR_NONE)
            throw std::runtime_error(std::string("cannot write feature: ") + CPLGetLastErrorMsg());
    }

    void end_layer() {
        if (m_ds->CommitTransaction() != OGRERR_NONE) throw std::runtime_error("cannot commit");
        m_layer = nullptr;
    }

    void close() {
        // GDAL 3.6's GDALClose() reports nothing: check the error state it leaves instead.
        CPLErrorReset();
        m_ds.reset();
        if (CPLGetLastErrorType() >= CE_Failure)
            throw std::runtime_error(std::string("cannot close output: ") + CPLGetLastErrorMsg());
    }

private:
    GEOSContextHandle_t m_ctx;
    GDALDatasetUniquePtr m_ds;
    OGRSpatialReference m_srs;
    OGRLayer* m_layer = nullptr;
    GEOSWKBWriter* m_writer = nullptr;
    std::unique_ptr<unsigned char, WkbDeleter> m_wkb;
};

// ---------------------------------------------------------------- names

std::string zero_padded(char prefix, std::size_t n) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%c%06zu", prefix, n);
    return buf.data();
}

std::string place_name(Rng& rng) {
    static constexpr std::array<std::string_view, 24> kHeads = {
        "Al", "Ber", "Cor", "Dal", "Ems", "Fel", "Gar", "Hol", "Ingel", "Kir", "Lin", "Mar",
        "Nor", "Os", "Pren", "Ros", "Sal", "Ter", "Ul", "Wal", "Zell", "Brux", "Vel", "Hra"};
    static constexpr std::array<std::string_view, 8> kMiddles = {"", "en", "er", "a", "o", "in", "el", "ste"};
    static constexpr std::array<std::string_view, 14> kTails = {
        "burg", "dorf", "heim", "hausen", "feld", "stadt", "ville", "court", "berg", "wijk", "ov",
        "ice", "ingen", "bach"};
    std::string s(kHeads[rng.below(kHeads.size())]);
    s += kMiddles[rng.below(kMiddles.size())];
    s += kTails[rng.below(kTails.size())];
    return s;
}

std::string country_code(std::size_t k) {
    static constexpr std::array<std::string_view, 15> kCodes = {
        "DE", "FR", "NL", "BE", "LU", "AT", "CH", "CZ", "PL", "DK", "IT", "SI", "SK", "HU", "HR"};
    if (k < kCodes.size()) return std::string(kCodes[k]);
    std::string code("X");  // (not "X" + std::string: GCC 12 -Wrestrict false positive)
    code += std::to_string(k);
    return code;
}

// ---------------------------------------------------------------- municipalities

struct Extent {
    double x0, y0, x1, y1;
    double side() const { return x1 - x0; }
    bool contains(XY p) const { return p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1; }
};

// Stratified seed points: rows of (almost) equal counts, jittered inside their cell.
std::vector<XY> municipality_seeds(std::size_t n, const Extent& ext, Rng& rng) {
    const std::size_t rows = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(std::sqrt(double(n)))));
    const double row_h = ext.side() / double(rows);
    std::vector<XY> seeds;
    seeds.reserve(n);
    for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t count = n / rows + (r < n % rows ? 1 : 0);
        const double cell_w = ext.side() / double(count);
        for (std::size_t c = 0; c < count; ++c) {
            const double x = ext.x0 + (double(c) + 0.5 + rng.uniform(-0.35, 0.35)) * cell_w;
            const double y = ext.y1 - (double(r) + 0.5 + rng.uniform(-0.35, 0.35)) * row_h;
            seeds.push_back({x, y});
        }
    }
    return seeds;
}

// Country centres spread out by best-candidate sampling.
std::vector<XY> country_seeds(std::size_t k, const Extent& ext, Rng& rng) {
    std::vector<XY> centres;
    const double margin = 0.1 * ext.side();
    for (std::size_t i = 0; i < k; ++i) {
        XY best{};
        double best_d = -1.0;
        for (int cand = 0; cand < 30; ++cand) {
            const XY p{rng.uniform(ext.x0 + margin, ext.x1 - margin), rng.uniform(ext.y0 + margin, ext.y1 - margin)};
            double d = std::numeric_limits<double>::max();
            for (const XY& q : centres) d = std::min(d, std::hypot(p.x - q.x, p.y - q.y));
            if (d > best_d) {
                best_d = d;
                best = p;
            }
        }
        centres.push_back(best);
    }
    return centres;
}

struct StrTreeDeleter {
    GEOSContextHandle_t ctx;
    void operator()(GEOSSTRtree* t) const { GEOSSTRtree_destroy_r(ctx, t); }
};

void write_municipalities(GpkgWriter& out, GEOSContextHandle_t ctx, std::size_t n, std::size_t n_countries,
                          const Extent& ext, Rng rng) {
    Rng seed_rng = rng.fork(1);
    Rng country_rng = rng.fork(2);
    Rng name_rng = rng.fork(3);
    const std::vector<XY> seeds = municipality_seeds(n, ext, seed_rng);
    const std::vector<XY> centres = country_seeds(n_countries, ext, country_rng);

    std::vector<GeomPtr> points;
    points.reserve(seeds.size());
    for (const XY& p : seeds) points.push_back(make_point(ctx, p));
    GeomPtr multipoint = make_collection(ctx, GEOS_MULTIPOINT, std::move(points));
    const double pad = 0.1 * ext.side();
    GeomPtr frame = make_rect(ctx, ext.x0 - pad, ext.y0 - pad, ext.x1 + pad, ext.y1 + pad);
    GeomPtr cells = own(ctx, GEOSVoronoiDiagram_r(ctx, multipoint.get(), frame.get(), 0.0, 0), "voronoi");
    GeomPtr extent = make_rect(ctx, ext.x0, ext.y0, ext.x1, ext.y1);

    // GEOS 3.11 does not keep the input order: find each cell's seed with an STRtree of seeds.
    std::unique_ptr<GEOSSTRtree, StrTreeDeleter> tree(GEOSSTRtree_create_r(ctx, 10), StrTreeDeleter{ctx});
    std::vector<std::size_t> index(seeds.size());
    const GEOSGeometry* mp = multipoint.get();
    for (std::size_t i = 0; i < seeds.size(); ++i) {
        index[i] = i;
        GEOSSTRtree_insert_r(ctx, tree.get(), GEOSGetGeometryN_r(ctx, mp, static_cast<int>(i)), &index[i]);
    }
    const int n_cells = GEOSGetNumGeometries_r(ctx, cells.get());
    std::vector<GeomPtr> by_seed(seeds.size());
    struct Query {
        GEOSContextHandle_t ctx;
        const GEOSPreparedGeometry* cell;
        const GEOSGeometry* points;
        std::size_t found;
    };
    for (int c = 0; c < n_cells; ++c) {
        const GEOSGeometry* cell = GEOSGetGeometryN_r(ctx, cells.get(), c);
        const GEOSPreparedGeometry* prepared = GEOSPrepare_r(ctx, cell);
        Query q{ctx, prepared, mp, SIZE_MAX};
        GEOSSTRtree_query_r(
            ctx, tree.get(), cell,
            [](void* item, void* user) {
                auto* query = static_cast<Query*>(user);
                const std::size_t i = *static_cast<std::size_t*>(item);
                const GEOSGeometry* p = GEOSGetGeometryN_r(query->ctx, query->points, static_cast<int>(i));
                if (query->found == SIZE_MAX && GEOSPreparedContains_r(query->ctx, query->cell, p) == 1)
                    query->found = i;
            },
            &q);
        GEOSPreparedGeom_destroy_r(ctx, prepared);
        if (q.found == SIZE_MAX) throw std::runtime_error("a Voronoi cell contains no seed");
        GeomPtr clipped = own(ctx, GEOSIntersection_r(ctx, cell, extent.get()), "clip cell");
        std::optional<GeomPtr> poly = largest_polygon(ctx, clipped.get());
        if (!poly) throw std::runtime_error("a Voronoi cell lies outside the extent");
        by_seed[q.found] = std::move(*poly);
    }

    out.begin_layer("municipalities", wkbPolygon,
                    {{"id", OFTString}, {"name", OFTString}, {"country", OFTString}});
    for (std::size_t i = 0; i < seeds.size(); ++i) {
        if (!by_seed[i]) throw std::runtime_error("a seed has no Voronoi cell");
        std::size_t country = 0;
        double best = std::numeric_limits<double>::max();
        for (std::size_t k = 0; k < centres.size(); ++k) {
            const double d = std::hypot(seeds[i].x - centres[k].x, seeds[i].y - centres[k].y);
            if (d < best) {
                best = d;
                country = k;
            }
        }
        out.add(by_seed[i].get(), {zero_padded('M', i + 1), place_name(name_rng), country_code(country)});
    }
    out.end_layer();
}

// ---------------------------------------------------------------- rivers

struct River {
    std::string name;
    std::vector<XY> points;  // unclipped, extends beyond the extent at both ends
};

std::vector<River> make_rivers(std::size_t count, const Extent& ext, Rng& rng) {
    static constexpr std::array<std::string_view, 12> kNames = {
        "Rhenus", "Mosa", "Albis", "Odra", "Danubius", "Visurgis", "Sequana", "Scaldis",
        "Moenus", "Nicer", "Arar", "Vistula"};
    std::vector<River> rivers;
    for (std::size_t r = 0; r < count; ++r) {
        River river;
        river.name = std::string(kNames[r % kNames.size()]);
        if (r >= kNames.size()) {
            river.name += ' ';
            river.name += std::to_string(r / kNames.size() + 1);
        }
        const double angle = rng.uniform(0.0, std::numbers::pi);
        const XY dir{std::cos(angle), std::sin(angle)};
        const XY normal{-dir.y, dir.x};
        const XY centre{rng.uniform(ext.x0 + 0.2 * ext.side(), ext.x1 - 0.2 * ext.side()),
                        rng.uniform(ext.y0 + 0.2 * ext.side(), ext.y1 - 0.2 * ext.side())};
        const double half = 0.9 * ext.side();  // covers the diagonal from any central point
        const double a1 = rng.uniform(2000.0, 6000.0), l1 = rng.uniform(15000.0, 40000.0), p1 = rng.uniform(0.0, 6.3);
        const double a2 = rng.uniform(300.0, 1000.0), l2 = rng.uniform(2000.0, 5000.0), p2 = rng.uniform(0.0, 6.3);
        double walk = 0.0;
        for (double t = -half; t <= half; t += kRiverStepM) {
            walk = 0.995 * walk + 60.0 * rng.normal();
            const double off = a1 * std::sin(2.0 * std::numbers::pi * t / l1 + p1) +
                               a2 * std::sin(2.0 * std::numbers::pi * t / l2 + p2) + walk;
            river.points.push_back({centre.x + t * dir.x + off * normal.x, centre.y + t * dir.y + off * normal.y});
        }
        rivers.push_back(std::move(river));
    }
    return rivers;
}

void write_rivers(GpkgWriter& out, GEOSContextHandle_t ctx, const std::vector<River>& rivers, const Extent& ext) {
    GeomPtr extent = make_rect(ctx, ext.x0, ext.y0, ext.x1, ext.y1);
    out.begin_layer("rivers", wkbLineString, {{"name", OFTString}});
    for (const River& river : rivers) {
        GeomPtr line = make_line(ctx, river.points);
        GeomPtr clipped = own(ctx, GEOSIntersection_r(ctx, line.get(), extent.get()), "clip river");
        const int n = GEOSGetNumGeometries_r(ctx, clipped.get());
        for (int i = 0; i < n; ++i) {
            const GEOSGeometry* part = GEOSGetGeometryN_r(ctx, clipped.get(), i);
            if (GEOSGeomTypeId_r(ctx, part) == GEOS_LINESTRING && GEOSGetNumCoordinates_r(ctx, part) >= 2)
                out.add(part, {river.name});
        }
    }
    out.end_layer();
}

// ---------------------------------------------------------------- river network (--river-segments)

// A dendritic network of exactly `segments` line features of kNetworkSegmentSteps steps each (1 km,
// like the reach segments of a hydrography dataset): the main rivers (inside the extent), then
// tributaries grown upstream from random vertices of the lines so far (a turning random walk of
// 5-40 km that stops at the extent's edge), each drawn downstream, i.e. ending at its confluence.
// Lines may cross each other (no planarity is enforced), as long rivers in real data rarely do.
constexpr std::size_t kNetworkSegmentSteps = 4;

struct NetworkLine {
    std::string name;
    std::vector<XY> points;
};

void write_river_network(GpkgWriter& out, GEOSContextHandle_t ctx, std::size_t segments,
                         const std::vector<River>& rivers, const Extent& ext, Rng& rng) {
    std::vector<NetworkLine> lines;
    std::size_t pieces = 0;
    auto count = [](const std::vector<XY>& pts) {
        return pts.size() < 2 ? 0 : (pts.size() - 2) / kNetworkSegmentSteps + 1;
    };
    for (const River& river : rivers) {  // runs of vertices inside the extent
        NetworkLine run{river.name, {}};
        for (const XY& p : river.points) {
            if (ext.contains(p)) {
                run.points.push_back(p);
            } else if (!run.points.empty()) {
                pieces += count(run.points);
                lines.push_back(std::move(run));
                run = NetworkLine{river.name, {}};
            }
        }
        if (run.points.size() >= 2) {
            pieces += count(run.points);
            lines.push_back(std::move(run));
        }
    }
    std::size_t tributary = 0;
    while (pieces < segments) {
        // A confluence: a random interior vertex of a random line (longer lines more often).
        std::size_t total = 0;
        for (const auto& l : lines) total += l.points.size();
        std::size_t pick = rng.below(total), li = 0;
        while (pick >= lines[li].points.size()) pick -= lines[li++].points.size();
        const auto& parent = lines[li].points;
        const std::size_t at = std::clamp<std::size_t>(pick, 1, parent.size() - 2);
        const XY c = parent[at];
        // Upstream of the parent (against its vertex order), turned 30-80 degrees to either side.
        double heading = std::atan2(parent[at - 1].y - parent[at + 1].y, parent[at - 1].x - parent[at + 1].x) +
                         (rng.uniform() < 0.5 ? -1.0 : 1.0) * rng.uniform(0.52, 1.40);
        const double length = rng.uniform(5000.0, 40000.0);
        std::vector<XY> up{c};
        double turn = 0.0;
        for (double t = kRiverStepM; t <= length; t += kRiverStepM) {
            turn = 0.9 * turn + 0.08 * rng.normal();
            heading += turn;
            const XY p{up.back().x + kRiverStepM * std::cos(heading), up.back().y + kRiverStepM * std::sin(heading)};
            if (!ext.contains(p)) break;
            up.push_back(p);
        }
        if (up.size() < 2) continue;
        std::reverse(up.begin(), up.end());  // flows into the confluence
        pieces += count(up);
        ++tributary;
        lines.push_back(NetworkLine{lines[li].name + " trib. " + std::to_string(tributary), std::move(up)});
    }
    out.begin_layer("river_network", wkbLineString, {{"id", OFTString}, {"name", OFTString}});
    std::size_t written = 0;
    for (const auto& l : lines) {
        for (std::size_t i = 0; i + 1 < l.points.size() && written < segments; i += kNetworkSegmentSteps) {
            const std::size_t end = std::min(i + kNetworkSegmentSteps, l.points.size() - 1);
            std::vector<XY> pts(l.points.begin() + static_cast<std::ptrdiff_t>(i),
                                l.points.begin() + static_cast<std::ptrdiff_t>(end) + 1);
            GeomPtr g = make_line(ctx, pts);
            out.add(g.get(), {zero_padded('S', ++written), l.name});
        }
    }
    out.end_layer();
}

// ---------------------------------------------------------------- hazard

struct HazardClass {
    double min_len_m, max_len_m;        // length of the river stretch
    double min_radius_m, max_radius_m;  // half width of the zone
};
// 1 = frequent floods (narrow), 3 = rare floods (wide), as HQ10 / HQ100 / HQ500.
constexpr std::array<HazardClass, 3> kHazardClasses = {{
    {2000.0, 8000.0, 80.0, 300.0},
    {4000.0, 15000.0, 250.0, 800.0},
    {6000.0, 25000.0, 600.0, 2000.0},
}};

// Convex hull of two discs: one link of a chain of variable width.
GeomPtr tapered_capsule(GEOSContextHandle_t ctx, XY a, double ra, XY b, double rb) {
    constexpr int kSegments = 16;
    std::vector<GeomPtr> pts;
    pts.reserve(2 * kSegments);
    for (int i = 0; i < kSegments; ++i) {
        const double t = 2.0 * std::numbers::pi * i / kSegments;
        pts.push_back(make_point(ctx, {a.x + ra * std::cos(t), a.y + ra * std::sin(t)}));
        pts.push_back(make_point(ctx, {b.x + rb * std::cos(t), b.y + rb * std::sin(t)}));
    }
    GeomPtr mp = make_collection(ctx, GEOS_MULTIPOINT, std::move(pts));
    return own(ctx, GEOSConvexHull_r(ctx, mp.get()), "convex hull");
}

// A flood zone along river[start .. start+len]: a chain of tapered capsules of varying width,
// unioned and simplified to at most kMaxHazardVertices vertices.
std::optional<GeomPtr> hazard_polygon(GEOSContextHandle_t ctx, const std::vector<XY>& river, std::size_t start,
                                      std::size_t len, const HazardClass& cls, Rng& rng) {
    const std::size_t stride = 4;  // one node per km
    std::vector<XY> nodes;
    std::vector<double> radii;
    double radius = rng.uniform(cls.min_radius_m, cls.max_radius_m);
    for (std::size_t i = start; i <= start + len && i < river.size(); i += stride) {
        radius = std::clamp(radius * (1.0 + 0.25 * rng.normal()), cls.min_radius_m, cls.max_radius_m);
        // Zones are not centred on the river: shift each node sideways a little.
        const double shift = 0.3 * radius;
        nodes.push_back({river[i].x + rng.uniform(-shift, shift), river[i].y + rng.uniform(-shift, shift)});
        radii.push_back(radius);
    }
    if (nodes.size() < 2) return std::nullopt;
    std::vector<GeomPtr> links;
    for (std::size_t i = 0; i + 1 < nodes.size(); ++i)
        links.push_back(tapered_capsule(ctx, nodes[i], radii[i], nodes[i + 1], radii[i + 1]));
    GeomPtr chain = make_collection(ctx, GEOS_MULTIPOLYGON, std::move(links));
    GeomPtr merged = own(ctx, GEOSUnaryUnion_r(ctx, chain.get()), "union");
    std::optional<GeomPtr> poly = largest_polygon(ctx, merged.get());
    if (!poly) return std::nullopt;

    double tolerance = 0.02 * cls.min_radius_m;
    for (int attempt = 0; attempt < 30 && GEOSGetNumCoordinates_r(ctx, poly->get()) > kMaxHazardVertices; ++attempt) {
        GeomPtr simple = own(ctx, GEOSTopologyPreserveSimplify_r(ctx, poly->get(), tolerance), "simplify");
        if (GEOSGeomTypeId_r(ctx, simple.get()) == GEOS_POLYGON && GEOSisValid_r(ctx, simple.get()) == 1 &&
            GEOSGetNumCoordinates_r(ctx, simple.get()) >= kMinHazardVertices) {
            if (GEOSGetNumCoordinates_r(ctx, simple.get()) <= kMaxHazardVertices) return simple;
        }
        tolerance *= 1.5;
    }
    const int n = GEOSGetNumCoordinates_r(ctx, poly->get());
    if (n < kMinHazardVertices || n > kMaxHazardVertices || GEOSisValid_r(ctx, poly->get()) != 1) return std::nullopt;
    return poly;
}

void write_hazard(GpkgWriter& out, GEOSContextHandle_t ctx, std::size_t m, const std::vector<River>& rivers,
                  const Extent& ext, Rng rng) {
    // Candidate start points: river vertices inside the extent.
    std::vector<std::pair<std::size_t, std::size_t>> starts;
    for (std::size_t r = 0; r < rivers.size(); ++r)
        for (std::size_t i = 0; i < rivers[r].points.size(); ++i)
            if (ext.contains(rivers[r].points[i])) starts.emplace_back(r, i);
    if (starts.empty()) throw std::runtime_error("no river crosses the extent");

    out.begin_layer("hazard", wkbPolygon, {{"id", OFTString}, {"class", OFTInteger}});
    std::size_t written = 0;
    std::size_t attempts = 0;
    while (written < m) {
        if (++attempts > 100 * m + 1000) throw std::runtime_error("cannot place hazard polygons");
        const auto [r, start] = starts[rng.below(starts.size())];
        const std::size_t cls = rng.below(kHazardClasses.size());
        const HazardClass& hc = kHazardClasses[cls];
        const auto len = static_cast<std::size_t>(rng.uniform(hc.min_len_m, hc.max_len_m) / kRiverStepM);
        std::optional<GeomPtr> poly = hazard_polygon(ctx, rivers[r].points, start, len, hc, rng);
        if (!poly) continue;
        ++written;
        out.add(poly->get(), {zero_padded('H', written), static_cast<std::int64_t>(cls + 1)});
    }
    out.end_layer();
}

// ---------------------------------------------------------------- assets (the exposure job)

constexpr std::array<const char*, 4> kPointCategories = {"building", "school", "hospital", "power"};
constexpr std::array<const char*, 4> kRoadCategories = {"motorway", "primary", "secondary", "local"};

void write_points(GpkgWriter& out, GEOSContextHandle_t ctx, std::size_t n, const Extent& ext, Rng rng) {
    out.begin_layer("points", wkbPoint, {{"id", OFTInteger64}, {"category", OFTString}});
    for (std::size_t i = 0; i < n; ++i) {
        const XY p{rng.uniform(ext.x0, ext.x1), rng.uniform(ext.y0, ext.y1)};
        GeomPtr point = make_point(ctx, p);
        out.add(point.get(), {static_cast<std::int64_t>(i + 1),
                              std::string(kPointCategories[rng.below(kPointCategories.size())])});
    }
    out.end_layer();
}

void write_roads(GpkgWriter& out, GEOSContextHandle_t ctx, std::size_t n, const Extent& ext, Rng rng) {
    out.begin_layer("roads", wkbLineString, {{"id", OFTInteger64}, {"category", OFTString}});
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t vertices = 2 + rng.below(5);
        const double length = rng.uniform(300.0, 3000.0);
        double heading = rng.uniform(0.0, 2.0 * std::numbers::pi);
        std::vector<XY> points = {{rng.uniform(ext.x0, ext.x1), rng.uniform(ext.y0, ext.y1)}};
        for (std::size_t k = 1; k < vertices; ++k) {
            heading += rng.uniform(-0.6, 0.6);
            const double step = length / double(vertices - 1);
            points.push_back({points.back().x + step * std::cos(heading), points.back().y + step * std::sin(heading)});
        }
        GeomPtr line = make_line(ctx, points);
        out.add(line.get(), {static_cast<std::int64_t>(i + 1),
                             std::string(kRoadCategories[rng.below(kRoadCategories.size())])});
    }
    out.end_layer();
}

// ---------------------------------------------------------------- pairs (a × b)

// A jittered tessellation of n cells of kPairCellM, every edge bent at a jittered midpoint, so
// polygons have 8 vertices and neighbours share edges exactly.
void write_tessellation(GpkgWriter& out, GEOSContextHandle_t ctx, const char* layer, std::size_t n, XY origin,
                        Rng rng) {
    const std::size_t cols = static_cast<std::size_t>(std::ceil(std::sqrt(double(n))));
    const std::size_t rows = (n + cols - 1) / cols;
    const double j = 0.2 * kPairCellM;
    auto at = [&](std::size_t c, std::size_t r) { return r * (cols + 1) + c; };
    std::vector<XY> corners((cols + 1) * (rows + 1));
    for (std::size_t r = 0; r <= rows; ++r)
        for (std::size_t c = 0; c <= cols; ++c)
            corners[at(c, r)] = {origin.x + double(c) * kPairCellM + rng.uniform(-j, j),
                                 origin.y + double(r) * kPairCellM + rng.uniform(-j, j)};
    auto mid = [&](XY a, XY b) {
        return XY{0.5 * (a.x + b.x) + rng.uniform(-0.5 * j, 0.5 * j), 0.5 * (a.y + b.y) + rng.uniform(-0.5 * j, 0.5 * j)};
    };
    std::vector<XY> h_mid(cols * (rows + 1));  // edge (c,r)-(c+1,r)
    std::vector<XY> v_mid((cols + 1) * rows);  // edge (c,r)-(c,r+1)
    for (std::size_t r = 0; r <= rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) h_mid[r * cols + c] = mid(corners[at(c, r)], corners[at(c + 1, r)]);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c <= cols; ++c) v_mid[r * (cols + 1) + c] = mid(corners[at(c, r)], corners[at(c, r + 1)]);

    out.begin_layer(layer, wkbPolygon, {{"id", OFTString}, {"category", OFTInteger}});
    const char prefix = static_cast<char>(layer[0] - 'a' + 'A');
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t r = i / cols, c = i % cols;
        std::vector<XY> ring = {corners[at(c, r)],         h_mid[r * cols + c],           corners[at(c + 1, r)],
                                v_mid[r * (cols + 1) + c + 1], corners[at(c + 1, r + 1)], h_mid[(r + 1) * cols + c],
                                corners[at(c, r + 1)],     v_mid[r * (cols + 1) + c]};
        GeomPtr poly = make_polygon(ctx, ring);
        out.add(poly.get(), {zero_padded(prefix, i + 1), static_cast<std::int64_t>(1 + rng.below(5))});
    }
    out.end_layer();
}

// ---------------------------------------------------------------- command line

struct Options {
    std::size_t municipalities = 0;
    std::size_t hazards = 0;
    std::size_t countries = 3;
    std::size_t pairs = 0;
    std::size_t river_segments = 0;
    std::size_t points = 0;
    std::size_t roads = 0;
    std::uint64_t seed = 1;
    std::string output;
};

constexpr const char* kUsage =
    "usage: twinrisk-bench-gen --municipalities N --hazards M --seed S -o OUT.gpkg [--countries K]\n"
    "                          [--river-segments R] [--points P] [--roads R]\n"
    "       twinrisk-bench-gen --pairs N --seed S -o OUT.gpkg\n"
    "Writes deterministic synthetic data in EPSG:3035 (see bench/README.md).\n";

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::uint64_t parse_count(std::string_view flag, const char* text) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
        throw UsageError(std::string(flag) + ": not a non-negative integer: '" + text + "'");
    return v;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::cout << kUsage;
            std::exit(0);
        }
        if (i + 1 >= argc) throw UsageError(std::string(arg) + " needs a value");
        const char* value = argv[++i];
        if (arg == "--municipalities") o.municipalities = parse_count(arg, value);
        else if (arg == "--hazards") o.hazards = parse_count(arg, value);
        else if (arg == "--countries") o.countries = parse_count(arg, value);
        else if (arg == "--pairs") o.pairs = parse_count(arg, value);
        else if (arg == "--river-segments") o.river_segments = parse_count(arg, value);
        else if (arg == "--points") o.points = parse_count(arg, value);
        else if (arg == "--roads") o.roads = parse_count(arg, value);
        else if (arg == "--seed") o.seed = parse_count(arg, value);
        else if (arg == "-o" || arg == "--output") o.output = value;
        else throw UsageError("unknown option " + std::string(arg));
    }
    if (o.output.empty()) throw UsageError("-o OUT.gpkg is required");
    if (o.pairs == 0 && o.municipalities == 0) throw UsageError("give --municipalities N (and --hazards M) or --pairs N");
    if (o.municipalities > 0 && o.countries < 2) throw UsageError("--countries must be at least 2");
    if (o.municipalities > 0 && o.countries > o.municipalities) throw UsageError("--countries exceeds --municipalities");
    return o;
}

void generate(const Options& o) {
    CPLSetConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");  // reproducible files
    GDALAllRegister();
    Geos geos;
    GEOSContextHandle_t ctx = geos.get();
    GpkgWriter out(o.output, ctx);
    Rng root(o.seed);
    Rng municipality_rng = root.fork(11);
    Rng river_rng = root.fork(12);
    Rng hazard_rng = root.fork(13);
    Rng a_rng = root.fork(14);
    Rng b_rng = root.fork(15);
    Rng network_rng = root.fork(16);
    Rng point_rng = root.fork(17);  // forked after the others, so their layers stay as they were
    Rng road_rng = root.fork(18);

    if (o.municipalities > 0) {
        const double side = std::sqrt(double(o.municipalities) * kCellAreaM2);
        const Extent ext{kOriginX, kOriginY, kOriginX + side, kOriginY + side};
        write_municipalities(out, ctx, o.municipalities, o.countries, ext, municipality_rng);
        const std::size_t n_rivers = 3 + o.municipalities / 4000;
        const std::vector<River> rivers = make_rivers(n_rivers, ext, river_rng);
        write_rivers(out, ctx, rivers, ext);
        if (o.hazards > 0) write_hazard(out, ctx, o.hazards, rivers, ext, hazard_rng);
        if (o.river_segments > 0) write_river_network(out, ctx, o.river_segments, rivers, ext, network_rng);
        if (o.points > 0) write_points(out, ctx, o.points, ext, point_rng);
        if (o.roads > 0) write_roads(out, ctx, o.roads, ext, road_rng);
    }
    if (o.pairs > 0) {
        write_tessellation(out, ctx, "a", o.pairs, {kOriginX, kOriginY}, a_rng);
        // b is offset by a fraction of a cell, so each a-polygon meets about four b-polygons.
        write_tessellation(out, ctx, "b", o.pairs, {kOriginX + 0.37 * kPairCellM, kOriginY + 0.41 * kPairCellM}, b_rng);
    }
    out.close();
}

}  // namespace

int main(int argc, char** argv) {
    try {
        generate(parse(argc, argv));
        return 0;
    } catch (const UsageError& e) {
        std::cerr << "twinrisk-bench-gen: " << e.what() << "\n" << kUsage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "twinrisk-bench-gen: " << e.what() << '\n';
        return 1;
    }
}
