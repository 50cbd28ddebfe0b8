#pragma once
/// \file
/// `product<Families...>`: a component family over blocks of columns, each block modelled by
/// its own family, the blocks independent given the component:
///
///     log f(x | θ) = Σ_b log f_b(x[first_b, first_b + count_b) | θ_b).
///
/// Log densities add; statistics, maximisers and every optional hook work block by block.
/// For example columns 0–1 diagonal Gaussian, 2–4 Poisson, 5–9 Bernoulli:
///
///     auto family = emkit::parse_product_layout("gaussian-diag:0-1,poisson:2-4,bernoulli:5-9");
///     auto [theta, summary] = emkit::fitter<>{}.fit(emkit::mixture{family}, X, 3);
///
/// Written as a user would write a family, from public framework headers only (and the
/// shipped families that the layout parser names).
///
/// Why std::variant and not Boost.Hana (which DESIGN.md suggests for this composition): the
/// set of families a product may hold is a compile-time list (the template arguments), but
/// the layout (which family on which columns, and how many blocks) comes from the command
/// line, `--columns "gaussian-diag:0-1,poisson:2-4,bernoulli:5-9"`, so it is known only at run
/// time. A Hana tuple fixes the number and order of blocks in the type; a vector of
/// `std::variant<Families...>` keeps the compile-time family list (each hook still calls the
/// family's own, statically dispatched, batched code once per chunk and block, never per
/// observation) while letting the layout be data. It also keeps Hana out of public signatures
/// (STYLE.md). The per-block dispatch is a switch on the variant's index per chunk, which
/// costs nothing next to the chunk's matrix products.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <Eigen/Core>

#include <emkit/framework/concepts/component_family.hpp>
#include <emkit/framework/error.hpp>
#include <emkit/framework/execution/reflect.hpp>
#include <emkit/framework/numeric/random.hpp>
#include <emkit/framework/types.hpp>
#include <emkit/models/bernoulli.hpp>
#include <emkit/models/gaussian.hpp>
#include <emkit/models/poisson.hpp>

namespace emkit {

namespace detail {

/// Calls f(std::integral_constant<std::size_t, I>{}) for the I == i (i < N); no call otherwise.
template <std::size_t N, class F>
void dispatch_index(std::size_t i, F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (void)((i == I ? (f(std::integral_constant<std::size_t, I>{}), true) : false) || ...);
  }
  (std::make_index_sequence<N>{});
}

/// A family's name in messages: the layout parser's names for the shipped families, a
/// family's own `name()` when it has one, else its position in the product's family list.
inline std::string family_label(const gaussian& g) { return std::string("gaussian-") + to_string(g.covariance); }
inline std::string family_label(const poisson&) { return "poisson"; }
inline std::string family_label(const bernoulli&) { return "bernoulli"; }

template <class F>
std::string family_label(const F& f, std::size_t alternative) {
  if constexpr (requires { detail::family_label(f); }) {
    return detail::family_label(f);
  } else if constexpr (requires { std::string(f.name()); }) {
    return std::string(f.name());
  } else {
    return concat("family #", alternative);
  }
}

/// "columns 2-4", "column 3", or the raw numbers when the block is malformed.
inline std::string columns_text(index first, index count) {
  if (count == 1) return concat("column ", first);
  if (count < 1) return concat("first = ", first, ", count = ", count);
  return concat("columns ", first, "-", first + count - 1);
}

/// One block of a layout, as the tiling check sees it.
struct column_span {
  index first = 0;
  index count = 0;
};

/// Throws `invalid_option` unless the spans are non-empty, each has count ≥ 1 and first ≥ 0,
/// and together they tile [0, end) with no overlap and no gap. `name(b)` names span b in
/// messages and `where` prefixes them.
template <class Name>
void check_tiling(const std::vector<column_span>& spans, std::string_view where, Name&& name) {
  if (spans.empty()) throw invalid_option(concat(where, ": the layout has no blocks, expected at least one"));
  for (std::size_t b = 0; b < spans.size(); ++b) {
    if (spans[b].count < 1)
      throw invalid_option(concat(where, ": ", name(b), " has count = ", spans[b].count, ", expected >= 1 column"));
    if (spans[b].first < 0)
      throw invalid_option(concat(where, ": ", name(b), " has first = ", spans[b].first, ", expected a column >= 0"));
  }
  std::vector<std::size_t> order(spans.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return spans[a].first < spans[b].first; });
  if (const index first = spans[order.front()].first; first > 0) {
    throw invalid_option(concat(where, ": ", columns_text(0, first), " in no block (a gap before ", name(order.front()),
                                "), expected the blocks to cover every column from 0"));
  }
  for (std::size_t i = 1; i < order.size(); ++i) {
    const column_span& prev = spans[order[i - 1]];
    const column_span& next = spans[order[i]];
    const index prev_end = prev.first + prev.count;
    if (next.first < prev_end) {
      throw invalid_option(concat(where, ": ", name(order[i]), " overlaps ", name(order[i - 1]), " at column ",
                                  next.first, ", expected each column in exactly one block"));
    }
    if (next.first > prev_end) {
      throw invalid_option(concat(where, ": ", columns_text(prev_end, next.first - prev_end),
                                  " in no block (a gap between ", name(order[i - 1]), " and ", name(order[i]),
                                  "), expected each column in exactly one block"));
    }
  }
}

}  // namespace detail

/// A product family: blocks of columns, each modelled by one of `Families`, the blocks
/// independent given the component. The layout (`blocks`) is chosen at run time; it must tile
/// the data's columns exactly (checked by `validate_layout`, which `validate_data` calls, so
/// every fit and prediction checks it).
///
/// Optional hooks are forwarded block by block. `expected_log_density`, `num_free_parameters`
/// and `sample` exist when every family has them; `validate_data` always (it checks the
/// layout); `prepare` and the cached log densities, `log_prior` and `floors_applied` when any
/// family has them (a family without one contributes no cache columns, a log prior of 0,
/// no floors). The batched forms always exist (their cached forms when any family has
/// `prepare`) and call each block family's batched hook when it has one, so the Gaussian's
/// matrix products and a tied covariance work inside a product.
template <ComponentFamily... Families>
struct product {
  static_assert(sizeof...(Families) >= 1, "a product needs at least one family");

  // Which optional hooks the product forwards (see above).
  static constexpr bool any_prepare = (HasPrepare<Families> || ...);
  static constexpr bool any_log_prior = (HasLogPrior<Families> || ...);
  static constexpr bool any_floor_report = (HasFloorReport<Families> || ...);
  static constexpr bool all_expected_log_density = (HasExpectedLogDensity<Families> && ...);
  static constexpr bool all_free_parameters = (HasFreeParameters<Families> && ...);
  static constexpr bool all_sample = (HasSample<Families> && ...);

  /// One of the families a block may hold.
  using family_variant = std::variant<Families...>;
  /// One block's parameters; alternative I belongs to family alternative I.
  using block_params = std::variant<typename Families::params_type...>;
  /// One block's statistics; alternative I belongs to family alternative I.
  using block_stats = std::variant<typename Families::stats_type...>;

  /// A family on the columns [first, first + count) of the data.
  struct block {
    family_variant family;
    index first = 0;
    index count = 0;

    [[nodiscard]] index end() const { return first + count; }
  };

  /// One component's parameters: one entry per block, in the order of `blocks`.
  struct params_type {
    std::vector<block_params> blocks;
  };

  /// One component's statistics: one entry per block, or none in the identity (value-initialised).
  struct stats_type {
    std::vector<block_stats> blocks;
    EMKIT_REFLECT(blocks);

    /// Merges block by block; the identity (no blocks) merges as nothing. Throws `shape_error`
    /// when the two come from different layouts.
    stats_type& operator+=(const stats_type& o) {
      if (o.blocks.empty()) return *this;
      if (blocks.empty()) return *this = o;
      check_shape(o.blocks.size() == blocks.size(), "product::stats_type::operator+=", "other.blocks.size()",
                  o.blocks.size(), "the same number of blocks " + std::to_string(blocks.size()));
      for (std::size_t b = 0; b < blocks.size(); ++b) {
        check_shape(o.blocks[b].index() == blocks[b].index(), "product::stats_type::operator+=", "block", b,
                    "the same family in both statistics");
        detail::dispatch_index<sizeof...(Families)>(blocks[b].index(), [&](auto I) {
          std::get<decltype(I)::value>(blocks[b]) += std::get<decltype(I)::value>(o.blocks[b]);
        });
      }
      return *this;
    }

    /// The statistics of the same rows with every weight multiplied by a ≥ 0, block by block.
    stats_type& operator*=(double a) {
      for (block_stats& s : blocks) std::visit([a](auto& block) { block *= a; }, s);
      return *this;
    }
  };

  std::vector<block> blocks;  ///< the layout: which family on which columns

  // ---- the layout ------------------------------------------------------------------------

  /// "block 1 (poisson, columns 2-4)", for messages.
  [[nodiscard]] std::string describe_block(std::size_t b) const {
    std::string label;
    visit_block(b, [&](auto I, const auto& f) { label = detail::family_label(f, decltype(I)::value); });
    return detail::concat("block ", b, " (", label, ", ", detail::columns_text(blocks[b].first, blocks[b].count), ")");
  }

  /// The number of columns the layout covers (the largest block end).
  [[nodiscard]] index num_columns() const {
    index end = 0;
    for (const block& blk : blocks) end = std::max(end, blk.end());
    return end;
  }

  /// Throws `invalid_option` unless there is at least one block, every block has count ≥ 1,
  /// and the blocks tile [0, num_columns()) with no overlap and no gap; the message names the
  /// offending block.
  void validate_layout() const {
    std::vector<detail::column_span> spans;
    spans.reserve(blocks.size());
    for (const block& blk : blocks) spans.push_back({blk.first, blk.count});
    detail::check_tiling(spans, "product", [&](std::size_t b) { return describe_block(b); });
  }

  /// `validate_layout()`, and throws `shape_error` unless the layout covers exactly the D
  /// columns of the data (a block beyond the last column, or columns in no block).
  void validate_layout(index D) const {
    validate_layout();
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      if (blocks[b].end() > D) {
        throw shape_error(detail::concat("product: ", describe_block(b), " is out of range: the data has ", D,
                                         " columns (0-", D - 1, ")"));
      }
    }
    if (const index covered = num_columns(); covered < D) {
      throw shape_error(detail::concat("product: data ", detail::columns_text(covered, D - covered),
                                       " in no block: the layout covers columns 0-", covered - 1, " of the data's ",
                                       D));
    }
  }

  // ---- the required hooks ------------------------------------------------------------------

  /// log f(x_n | θ) = Σ_b log f_b(x_n[block b] | θ_b) for each row of X.
  [[nodiscard]] Eigen::VectorXd log_density(const params_type& p, matrix_ref X) const {
    check_columns(X.cols(), "product::log_density");
    check_params(p, "product::log_density");
    Eigen::VectorXd out = Eigen::VectorXd::Zero(X.rows());
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto I, const auto& f) {
        out += Eigen::VectorXd(f.log_density(std::get<decltype(I)::value>(p.blocks[b]), columns(X, b)));
      });
    }
    return out;
  }

  /// The statistics of one component: each block family's statistics of its columns.
  [[nodiscard]] stats_type accumulate(matrix_ref X, vector_ref w) const {
    check_columns(X.cols(), "product::accumulate");
    stats_type s;
    s.blocks.reserve(blocks.size());
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto I, const auto& f) {
        s.blocks.emplace_back(std::in_place_index<decltype(I)::value>, f.accumulate(columns(X, b), w));
      });
    }
    return s;
  }

  /// Each block family's M-step on its statistics. Throws what a block's family throws, a
  /// `numerical_error` naming the block.
  [[nodiscard]] params_type maximize(const stats_type& s) const {
    check_stats(s, "product::maximize");
    params_type p;
    p.blocks.reserve(blocks.size());
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto I, const auto& f) {
        constexpr std::size_t i = decltype(I)::value;
        using stats = typename std::remove_cvref_t<decltype(f)>::stats_type;
        try {
          p.blocks.emplace_back(std::in_place_index<i>,
                                f.maximize(s.blocks.empty() ? stats{} : std::get<i>(s.blocks[b])));
        } catch (const numerical_error& e) {
          throw numerical_error(detail::concat(describe_block(b), ": ", e.what()));
        }
      });
    }
    return p;
  }

  // ---- optional hooks ----------------------------------------------------------------------

  /// Checks the layout against X (`validate_layout(X.cols())`), then each block family's
  /// support on its columns; a block's `data_error` is rethrown naming the block, with the
  /// column rewritten to the data's (0-based) column.
  void validate_data(matrix_ref X) const {
    validate_layout(X.cols());
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto, const auto& f) {
        if constexpr (HasValidateData<std::remove_cvref_t<decltype(f)>>) {
          try {
            f.validate_data(columns(X, b));
          } catch (const data_error& e) {
            // The family saw only its block's columns: its entry moves to the data's column.
            if (!e.entry()) throw data_error(detail::concat("product: ", describe_block(b), ": ", e.what()));
            throw data_error(detail::concat("product: ", describe_block(b), ": ", e.where()),
                             e.moved(0, blocks[b].first).entry().value(), e.expected());
          } catch (const invalid_option& e) {
            throw invalid_option(detail::concat("product: ", describe_block(b), ": ", e.what()));
          }
        }
      });
    }
  }

  /// The blocks' data-only caches side by side (N × Σ_b C_b), in block order; a block whose
  /// family has no `prepare` contributes no columns. Each family's cache width must depend
  /// only on its number of columns (true of every shipped family), so that the cached hooks
  /// can find a block's columns from a chunk of the cache; `shape_error` otherwise.
  [[nodiscard]] Eigen::MatrixXd prepare(matrix_ref X) const requires any_prepare {
    check_columns(X.cols(), "product::prepare");
    std::vector<Eigen::MatrixXd> parts;
    index width = 0;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto, const auto& f) {
        if constexpr (HasPrepare<std::remove_cvref_t<decltype(f)>>) {
          Eigen::MatrixXd c = f.prepare(columns(X, b));
          check_shape(c.rows() == X.rows() && c.cols() == cache_width(f, b, X), "product::prepare",
                      describe_block(b) + " cache columns", c.cols(),
                      "a width that depends only on the block's columns and one row per observation");
          width += c.cols();
          parts.push_back(std::move(c));
        }
      });
    }
    Eigen::MatrixXd cache(X.rows(), width);
    index offset = 0;
    for (const Eigen::MatrixXd& c : parts) {
      cache.middleCols(offset, c.cols()) = c;
      offset += c.cols();
    }
    return cache;
  }

  /// log f(x_n | θ) given the rows' cache = prepare(X).
  [[nodiscard]] Eigen::VectorXd log_density(const params_type& p, matrix_ref X,
                                            matrix_ref cache) const requires any_prepare {
    check_columns(X.cols(), "product::log_density");
    check_params(p, "product::log_density");
    check_shape(cache.rows() == X.rows(), "product::log_density", "cache.rows()", cache.rows(),
                "X.rows() = " + std::to_string(X.rows()));
    Eigen::VectorXd out = Eigen::VectorXd::Zero(X.rows());
    index offset = 0;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto I, const auto& f) {
        using F = std::remove_cvref_t<decltype(f)>;
        const auto& pb = std::get<decltype(I)::value>(p.blocks[b]);
        if constexpr (HasPrepare<F>) {
          const matrix_ref cb = cache_columns(cache, offset, cache_width(f, b, X), b);
          if constexpr (HasCachedLogDensity<F>) {
            out += Eigen::VectorXd(f.log_density(pb, columns(X, b), cb));
          } else {
            out += Eigen::VectorXd(f.log_density(pb, columns(X, b)));
          }
        } else {
          out += Eigen::VectorXd(f.log_density(pb, columns(X, b)));
        }
      });
    }
    check_cache_width(cache, offset);
    return out;
  }

  /// Σ_b Σ_n w_n log f_b(x_n | θ_b) from the statistics alone (0 for the identity).
  [[nodiscard]] double expected_log_density(const stats_type& s,
                                            const params_type& p) const requires all_expected_log_density {
    if (s.blocks.empty()) return 0.0;
    check_stats(s, "product::expected_log_density");
    check_params(p, "product::expected_log_density");
    double q = 0.0;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto I, const auto& f) {
        constexpr std::size_t i = decltype(I)::value;
        q += f.expected_log_density(std::get<i>(s.blocks[b]), std::get<i>(p.blocks[b]));
      });
    }
    return q;
  }

  /// Σ_b log p(θ_b) over the blocks whose family has a prior (the others are maximum likelihood).
  [[nodiscard]] double log_prior(const params_type& p) const requires any_log_prior {
    check_params(p, "product::log_prior");
    double lp = 0.0;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto I, const auto& f) {
        if constexpr (HasLogPrior<std::remove_cvref_t<decltype(f)>>) {
          lp += f.log_prior(std::get<decltype(I)::value>(p.blocks[b]));
        }
      });
    }
    return lp;
  }

  /// Σ_b of each block family's count over the K components (its shared parameters once).
  [[nodiscard]] std::size_t num_free_parameters(std::span<const params_type> ps) const requires all_free_parameters {
    std::size_t total = 0;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto I, const auto& f) {
        const auto bps = gather_params<decltype(I)::value>(ps, b, "product::num_free_parameters");
        total += static_cast<std::size_t>(f.num_free_parameters(std::span(bps)));
      });
    }
    return total;
  }

  /// Σ_b of the entries each block family's floor held (families without floors count 0).
  [[nodiscard]] index floors_applied(const params_type& p) const requires any_floor_report {
    check_params(p, "product::floors_applied");
    index total = 0;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto I, const auto& f) {
        if constexpr (HasFloorReport<std::remove_cvref_t<decltype(f)>>) {
          total += static_cast<index>(f.floors_applied(std::get<decltype(I)::value>(p.blocks[b])));
        }
      });
    }
    return total;
  }

  /// One draw: each block's draw on its columns, blocks drawn in the order of `blocks`.
  [[nodiscard]] Eigen::VectorXd sample(const params_type& p, random_engine& rng) const requires all_sample {
    check_params(p, "product::sample");
    Eigen::VectorXd x(num_columns());
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto I, const auto& f) {
        const Eigen::VectorXd xb = f.sample(std::get<decltype(I)::value>(p.blocks[b]), rng);
        check_shape(xb.size() == blocks[b].count, "product::sample", describe_block(b) + " draw size", xb.size(),
                    "the block's column count");
        x.segment(blocks[b].first, blocks[b].count) = xb;
      });
    }
    return x;
  }

  /// out(n, k) = log f(x_n | θ_k) for all K components: per block, the family's batched hook
  /// when it has one (with a cache computed for the chunk if it needs one), else one column
  /// per component; the blocks' matrices are added.
  void log_density_all(std::span<const params_type> ps, matrix_ref X, matrix_out out) const {
    check_columns(X.cols(), "product::log_density_all");
    log_density_all_impl(ps, X, nullptr, out);
  }

  /// The batched form given the rows' cache = prepare(X).
  void log_density_all(std::span<const params_type> ps, matrix_ref X, matrix_ref cache,
                       matrix_out out) const requires any_prepare {
    check_columns(X.cols(), "product::log_density_all");
    check_shape(cache.rows() == X.rows(), "product::log_density_all", "cache.rows()", cache.rows(),
                "X.rows() = " + std::to_string(X.rows()));
    log_density_all_impl(ps, X, &cache, out);
  }

  /// stats[k] += the statistics of the chunk under weights W(·, k), for all k, block by block
  /// (the family's `accumulate_all` when it has one; a family that needs its cache computes it
  /// for the chunk).
  void accumulate_all(matrix_ref X, matrix_ref W, std::span<stats_type> stats) const {
    check_columns(X.cols(), "product::accumulate_all");
    accumulate_all_impl(X, nullptr, W, stats);
  }

  /// The batched statistics given the rows' cache = prepare(X), which each block family with a
  /// cached `accumulate_all` receives its columns of.
  void accumulate_all(matrix_ref X, matrix_ref cache, matrix_ref W,
                      std::span<stats_type> stats) const requires any_prepare {
    check_columns(X.cols(), "product::accumulate_all");
    check_shape(cache.rows() == X.rows(), "product::accumulate_all", "cache.rows()", cache.rows(),
                "X.rows() = " + std::to_string(X.rows()));
    accumulate_all_impl(X, &cache, W, stats);
  }

  /// The M-step of all K components, block by block: the family's `maximize_all` when it has
  /// one (so a tied covariance is pooled over the components within its block), else each
  /// component's `maximize`. A block's `numerical_error` is rethrown naming the block.
  [[nodiscard]] std::vector<params_type> maximize_all(std::span<const stats_type> stats) const {
    for (const stats_type& s : stats) check_stats(s, "product::maximize_all");
    std::vector<params_type> out(stats.size());
    for (params_type& p : out) p.blocks.reserve(blocks.size());
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto I, const auto& f) {
        constexpr std::size_t i = decltype(I)::value;
        using F = std::remove_cvref_t<decltype(f)>;
        std::vector<typename F::stats_type> bs;
        bs.reserve(stats.size());
        for (const stats_type& s : stats)
          bs.push_back(s.blocks.empty() ? typename F::stats_type{} : std::get<i>(s.blocks[b]));
        if constexpr (HasBatchedMaximize<F>) {
          std::vector<typename F::params_type> fitted;
          try {
            fitted = f.maximize_all(std::span<const typename F::stats_type>(bs));
          } catch (const numerical_error& e) {
            throw numerical_error(detail::concat(describe_block(b), ": ", e.what()));
          }
          check_shape(fitted.size() == stats.size(), "product::maximize_all", describe_block(b) + " results",
                      fitted.size(), "one per component");
          for (std::size_t k = 0; k < stats.size(); ++k)
            out[k].blocks.emplace_back(std::in_place_index<i>, std::move(fitted[k]));
        } else {
          for (std::size_t k = 0; k < stats.size(); ++k) {
            try {
              out[k].blocks.emplace_back(std::in_place_index<i>, f.maximize(bs[k]));
            } catch (const numerical_error& e) {
              throw numerical_error(detail::concat("component ", k, ": ", describe_block(b), ": ", e.what()));
            }
          }
        }
      });
    }
    return out;
  }

 private:
  /// Calls fn(integral_constant<I>, family) for block b, whose family is alternative I.
  template <class Fn>
  void visit_block(std::size_t b, Fn&& fn) const {
    const family_variant& v = blocks[b].family;
    detail::dispatch_index<sizeof...(Families)>(v.index(), [&](auto I) { fn(I, std::get<decltype(I)::value>(v)); });
  }

  /// Block b's columns of X.
  [[nodiscard]] matrix_ref columns(matrix_ref X, std::size_t b) const {
    return X.middleCols(blocks[b].first, blocks[b].count);
  }

  /// The cheap check of the per-chunk hooks: every block inside [0, D) and the counts adding up
  /// to D. When it fails, `validate_layout(D)` throws the full explanation.
  void check_columns(index D, std::string_view where) const {
    index total = 0;
    bool ok = !blocks.empty();
    for (const block& blk : blocks) {
      ok = ok && blk.first >= 0 && blk.count >= 1 && blk.end() <= D;
      total += blk.count;
    }
    if (ok && total == D) return;
    validate_layout(D);
    throw shape_error(detail::concat(where, ": the layout does not tile the data's ", D, " columns"));
  }

  /// Throws `invalid_option` unless p has one entry per block, each of its block's family.
  void check_params(const params_type& p, std::string_view where) const {
    check_option(p.blocks.size() == blocks.size(), where, "params.blocks.size()", p.blocks.size(),
                 "one per block of the layout, " + std::to_string(blocks.size()));
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      if (p.blocks[b].index() != blocks[b].family.index()) {
        throw invalid_option(detail::concat(where, ": params.blocks[", b, "] holds parameters of family alternative ",
                                            p.blocks[b].index(), ", expected those of ", describe_block(b)));
      }
    }
  }

  /// As `check_params`, for statistics; the identity (no blocks) passes.
  void check_stats(const stats_type& s, std::string_view where) const {
    if (s.blocks.empty()) return;
    check_option(s.blocks.size() == blocks.size(), where, "stats.blocks.size()", s.blocks.size(),
                 "one per block of the layout, " + std::to_string(blocks.size()));
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      if (s.blocks[b].index() != blocks[b].family.index()) {
        throw invalid_option(detail::concat(where, ": stats.blocks[", b, "] holds statistics of family alternative ",
                                            s.blocks[b].index(), ", expected those of ", describe_block(b)));
      }
    }
  }

  /// Block b's parameters of each component, as the family's own type.
  template <std::size_t I>
  [[nodiscard]] std::vector<std::variant_alternative_t<I, block_params>> gather_params(std::span<const params_type> ps,
                                                                                       std::size_t b,
                                                                                       std::string_view where) const {
    std::vector<std::variant_alternative_t<I, block_params>> out;
    out.reserve(ps.size());
    for (const params_type& p : ps) {
      check_params(p, where);
      out.push_back(std::get<I>(p.blocks[b]));
    }
    return out;
  }

  /// The number of cache columns block b's family makes: the width of its cache of no rows.
  template <class F>
  [[nodiscard]] index cache_width(const F& f, std::size_t b, matrix_ref X) const {
    return Eigen::MatrixXd(f.prepare(columns(X, b).topRows(0))).cols();
  }

  /// Block b's `width` cache columns starting at `offset`, which then moves past them.
  [[nodiscard]] matrix_ref cache_columns(matrix_ref cache, index& offset, index width, std::size_t b) const {
    check_shape(offset + width <= cache.cols(), "product", "cache.cols()", cache.cols(),
                detail::concat("at least ", offset + width, " to reach the cache of ", describe_block(b),
                               " (was the cache made by this product's prepare?)"));
    const index at = offset;
    offset += width;
    return cache.middleCols(at, width);
  }

  void check_cache_width(matrix_ref cache, index used) const {
    check_shape(cache.cols() == used, "product", "cache.cols()", cache.cols(),
                detail::concat(used, ", the blocks' cache columns (was the cache made by this product's prepare?)"));
  }

  /// The batched statistics, with the cache when `cache` is not null.
  void accumulate_all_impl(matrix_ref X, const matrix_ref* cache, matrix_ref W, std::span<stats_type> stats) const {
    check_shape(static_cast<index>(stats.size()) == W.cols(), "product::accumulate_all", "stats.size()", stats.size(),
                "W.cols() = " + std::to_string(W.cols()));
    for (stats_type& s : stats) {
      if (!s.blocks.empty()) {
        check_stats(s, "product::accumulate_all");
        continue;
      }
      s.blocks.reserve(blocks.size());
      for (std::size_t b = 0; b < blocks.size(); ++b)
        visit_block(b, [&](auto I, const auto&) { s.blocks.emplace_back(std::in_place_index<decltype(I)::value>); });
    }
    index offset = 0;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      visit_block(b, [&](auto I, const auto& f) {
        constexpr std::size_t i = decltype(I)::value;
        using F = std::remove_cvref_t<decltype(f)>;
        // The block's statistics are moved out into the family's own type and back, no copies.
        std::vector<typename F::stats_type> bs;
        bs.reserve(stats.size());
        for (stats_type& s : stats) bs.push_back(std::move(std::get<i>(s.blocks[b])));
        const std::span<typename F::stats_type> span(bs);
        const matrix_ref Xb = columns(X, b);
        bool done = false;
        if constexpr (HasPrepare<F>) {
          if (cache != nullptr) {
            const matrix_ref cb = cache_columns(*cache, offset, cache_width(f, b, X), b);
            if constexpr (HasCachedBatchedAccumulate<F>) {
              f.accumulate_all(Xb, cb, W, span);
              done = true;
            }
          }
        }
        if (!done) {
          if constexpr (HasBatchedAccumulate<F>) {
            f.accumulate_all(Xb, W, span);
          } else if constexpr (HasCachedBatchedAccumulate<F>) {
            const Eigen::MatrixXd chunk_cache = f.prepare(Xb);
            f.accumulate_all(Xb, chunk_cache, W, span);
          } else {
            for (index k = 0; k < W.cols(); ++k) bs[static_cast<std::size_t>(k)] += f.accumulate(Xb, W.col(k));
          }
        }
        for (std::size_t k = 0; k < stats.size(); ++k) std::get<i>(stats[k].blocks[b]) = std::move(bs[k]);
      });
    }
    if (cache != nullptr) check_cache_width(*cache, offset);
  }

  /// The batched log densities, with the cache when `cache` is not null.
  void log_density_all_impl(std::span<const params_type> ps, matrix_ref X, const matrix_ref* cache,
                            matrix_out out) const {
    const index K = static_cast<index>(ps.size());
    check_shape(out.rows() == X.rows() && out.cols() == K, "product::log_density_all", "out.cols()", out.cols(),
                "K = " + std::to_string(K) + " and one row per observation");
    Eigen::MatrixXd part(X.rows(), K);
    index offset = 0;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      // The first block writes straight into out; the others are added to it.
      matrix_out target = b == 0 ? out : matrix_out(part);
      visit_block(b, [&](auto I, const auto& f) {
        using F = std::remove_cvref_t<decltype(f)>;
        const auto bps = gather_params<decltype(I)::value>(ps, b, "product::log_density_all");
        const std::span<const typename F::params_type> span(bps);
        const matrix_ref Xb = columns(X, b);
        if constexpr (HasPrepare<F>) {
          if (cache != nullptr) {
            const matrix_ref cb = cache_columns(*cache, offset, cache_width(f, b, X), b);
            block_log_density_all(f, span, Xb, &cb, target);
            return;
          }
        }
        block_log_density_all(f, span, Xb, nullptr, target);
      });
      if (b != 0) out += part;
    }
    if (cache != nullptr) check_cache_width(*cache, offset);
  }

  /// One block's out(n, k) by the best hook its family has; `cache` is the block's cache or null.
  template <class F>
  static void block_log_density_all(const F& f, std::span<const typename F::params_type> ps, matrix_ref X,
                                    const matrix_ref* cache, matrix_out out) {
    if constexpr (HasCachedBatchedLogDensity<F>) {
      if (cache != nullptr) {
        f.log_density_all(ps, X, *cache, out);
        return;
      }
    }
    if constexpr (HasBatchedLogDensity<F>) {
      f.log_density_all(ps, X, out);
    } else if constexpr (HasCachedBatchedLogDensity<F>) {
      const Eigen::MatrixXd chunk_cache = f.prepare(X);
      f.log_density_all(ps, X, chunk_cache, out);
    } else if constexpr (HasCachedLogDensity<F>) {
      const Eigen::MatrixXd chunk_cache = cache != nullptr ? Eigen::MatrixXd(*cache) : Eigen::MatrixXd(f.prepare(X));
      for (std::size_t k = 0; k < ps.size(); ++k) out.col(static_cast<index>(k)) = f.log_density(ps[k], X, chunk_cache);
    } else {
      for (std::size_t k = 0; k < ps.size(); ++k) out.col(static_cast<index>(k)) = f.log_density(ps[k], X);
    }
  }
};

// ---- building a product ---------------------------------------------------------------------

/// A family and the columns [first, first + count) it models, for `make_product`.
template <ComponentFamily F>
struct product_block {
  F family;
  index first = 0;
  index count = 0;
};

/// `family` on the columns [first, first + count).
template <ComponentFamily F>
[[nodiscard]] product_block<F> on_columns(F family, index first, index count) {
  return {std::move(family), first, count};
}

/// The product of the given blocks, one family alternative per block (in order; the same
/// family type may appear twice). Throws `invalid_option` when the blocks do not tile
/// [0, D) (see `product::validate_layout`).
///
///     auto family = emkit::make_product(emkit::on_columns(emkit::gaussian{.covariance =
///     emkit::covariance_type::diagonal}, 0, 2),
///                                       emkit::on_columns(emkit::poisson{}, 2, 3));
template <ComponentFamily... F>
[[nodiscard]] product<F...> make_product(product_block<F>... pieces) {
  using result = product<F...>;
  result out;
  out.blocks.reserve(sizeof...(F));
  std::tuple<product_block<F>...> all{std::move(pieces)...};
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (out.blocks.push_back(typename result::block{
         typename result::family_variant(std::in_place_index<I>, std::move(std::get<I>(all).family)),
         std::get<I>(all).first, std::get<I>(all).count}),
     ...);
  }
  (std::index_sequence_for<F...>{});
  out.validate_layout();
  return out;
}

// ---- the command-line layout ------------------------------------------------------------------

/// The product the command line builds: any of the shipped Gaussian, Poisson and Bernoulli
/// families on each block.
using mixed_product = product<gaussian, poisson, bernoulli>;

/// Parses a column layout such as "gaussian-diag:0-1,poisson:2-4,bernoulli:5-9": comma-separated
/// pieces `<family>:<first>-<last>` (an inclusive, 0-based range; `<family>:<column>` for one
/// column). Families: gaussian-full, gaussian-diag, gaussian-spherical, gaussian-tied, poisson,
/// bernoulli (with their default options). The pieces must tile columns 0..last with no overlap
/// and no gap; whether that matches the data is checked when the data is seen
/// (`validate_data`). Throws `invalid_option` naming the offending piece.
[[nodiscard]] inline mixed_product parse_product_layout(std::string_view text) {
  constexpr std::string_view where = "parse_product_layout";
  constexpr std::string_view known =
      "gaussian-full, gaussian-diag, gaussian-spherical, gaussian-tied, poisson or bernoulli";
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  auto parse_column = [](std::string_view s, index& value) {
    if (s.empty() || s.front() < '0' || s.front() > '9') return false;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    return ec == std::errc{} && end == s.data() + s.size();
  };

  mixed_product out;
  std::vector<std::string> pieces;
  if (trim(text).empty())
    throw invalid_option(detail::concat(where, ": the layout is empty, expected <family>:<first>-<last>[,...] such as ",
                                        "\"gaussian-diag:0-1,poisson:2-4\""));
  for (std::size_t begin = 0; begin <= text.size();) {
    std::size_t comma = text.find(',', begin);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view piece = trim(text.substr(begin, comma - begin));
    begin = comma + 1;
    const std::size_t number = pieces.size() + 1;
    pieces.emplace_back(piece);
    auto fail = [&](const auto&... why) {
      throw invalid_option(detail::concat(where, ": piece ", number, " '", piece, "' ", why...));
    };
    const std::size_t colon = piece.find(':');
    if (piece.empty()) fail("is empty, expected <family>:<first>-<last>");
    if (colon == std::string_view::npos) fail("has no ':', expected <family>:<first>-<last>");
    const std::string_view name = trim(piece.substr(0, colon));
    const std::string_view range = trim(piece.substr(colon + 1));

    mixed_product::block blk{poisson{}, 0, 0};
    if (name == "poisson") {
      blk.family = poisson{};
    } else if (name == "bernoulli") {
      blk.family = bernoulli{};
    } else if (name.starts_with("gaussian-")) {
      try {
        blk.family = gaussian{.covariance = parse_covariance_type(name.substr(9))};
      } catch (const invalid_option&) {
        fail("has unknown family '", name, "', expected ", known);
      }
    } else {
      fail("has unknown family '", name, "', expected ", known);
    }

    index first = 0, last = 0;
    const std::size_t dash = range.find('-');
    const std::string_view first_text = trim(range.substr(0, dash));
    const std::string_view last_text = dash == std::string_view::npos ? first_text : trim(range.substr(dash + 1));
    if (!parse_column(first_text, first) || !parse_column(last_text, last))
      fail("has a malformed column range '", range,
           "', expected <first>-<last> or <column>, 0-based non-negative integers");
    if (last < first) fail("has first column ", first, " after last column ", last, ", expected <first> <= <last>");
    blk.first = first;
    blk.count = last - first + 1;
    out.blocks.push_back(std::move(blk));
    if (comma == text.size()) break;
  }

  std::vector<detail::column_span> spans;
  for (const auto& blk : out.blocks) spans.push_back({blk.first, blk.count});
  detail::check_tiling(spans, where,
                       [&](std::size_t b) { return detail::concat("piece ", b + 1, " '", pieces[b], "'"); });
  return out;
}

}  // namespace emkit
