#include "crs.hpp"

#include <geodesic.h>
#include <proj.h>

#include <cmath>
#include <numbers>

#include "twinrisk/core/error.hpp"

namespace twinrisk::render::detail {

namespace {

struct ContextDeleter {
  void operator()(PJ_CONTEXT* context) const { proj_context_destroy(context); }
};
struct PjDeleter {
  void operator()(PJ* pj) const { proj_destroy(pj); }
};
using PjPtr = std::unique_ptr<PJ, PjDeleter>;

}  // namespace

struct MapCrs::Impl {
  std::unique_ptr<PJ_CONTEXT, ContextDeleter> context{proj_context_create()};
  PjPtr to_geographic;  // map x/y → lon/lat degrees
  geod_geodesic geodesic{};
};

MapCrs::MapCrs(const std::string& wkt) : m_impl(std::make_unique<Impl>()) {
  if (wkt.empty()) {
    m_name = "unknown CRS (map units taken as metres)";
    return;
  }
  auto* ctx = m_impl->context.get();
  proj_context_use_proj4_init_rules(ctx, 0);
  PjPtr crs(proj_create(ctx, wkt.c_str()));
  if (!crs) throw InputError("the map's CRS is not one PROJ understands", {}, "check the layers' CRS");
  if (const char* name = proj_get_name(crs.get())) m_name = name;
  PjPtr geodetic(proj_crs_get_geodetic_crs(ctx, crs.get()));
  PjPtr ellipsoid(geodetic ? proj_get_ellipsoid(ctx, geodetic.get()) : nullptr);
  if (!geodetic || !ellipsoid) {
    m_name += " (map units taken as metres)";
    return;
  }
  double a = 0, b = 0, inverse_flattening = 0;
  int computed = 0;
  proj_ellipsoid_get_parameters(ctx, ellipsoid.get(), &a, &b, &computed, &inverse_flattening);
  geod_init(&m_impl->geodesic, a, inverse_flattening > 0 ? 1.0 / inverse_flattening : 0.0);
  PjPtr transformation(proj_create_crs_to_crs_from_pj(ctx, crs.get(), geodetic.get(), nullptr, nullptr));
  if (transformation) m_impl->to_geographic.reset(proj_normalize_for_visualization(ctx, transformation.get()));
  if (!m_impl->to_geographic) m_name += " (map units taken as metres)";
}

MapCrs::~MapCrs() = default;

double MapCrs::ground_per_map_unit(double x, double y, double step) const {
  if (!m_impl->to_geographic) return 1.0;
  auto* t = m_impl->to_geographic.get();
  const PJ_COORD a = proj_trans(t, PJ_FWD, proj_coord(x - step, y, 0, 0));
  const PJ_COORD b = proj_trans(t, PJ_FWD, proj_coord(x + step, y, 0, 0));
  if (!std::isfinite(a.lp.lam) || !std::isfinite(b.lp.lam)) return 1.0;
  double s12 = 0;
  geod_inverse(&m_impl->geodesic, a.lp.phi, a.lp.lam, b.lp.phi, b.lp.lam, &s12, nullptr, nullptr);
  return s12 / (2 * step);
}

double MapCrs::north_angle_deg(double x, double y, double step) const {
  if (!m_impl->to_geographic) return 0.0;
  auto* t = m_impl->to_geographic.get();
  const PJ_COORD here = proj_trans(t, PJ_FWD, proj_coord(x, y, 0, 0));
  // A point a little north of here (in degrees of latitude matching `step` metres), back on the map.
  const double dlat = std::min(step / 111000.0, 89.9 - here.lp.phi);
  if (dlat <= 0) return 0.0;
  const PJ_COORD north = proj_trans(t, PJ_INV, proj_coord(here.lp.lam, here.lp.phi + dlat, 0, 0));
  if (!std::isfinite(north.xy.x)) return 0.0;
  return std::atan2(north.xy.x - x, north.xy.y - y) * 180.0 / std::numbers::pi;
}

}  // namespace twinrisk::render::detail
