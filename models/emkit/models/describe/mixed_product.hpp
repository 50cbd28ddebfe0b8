#pragma once
/// \file
/// `--family product --columns "gaussian-diag:0-1,poisson:2-4,bernoulli:5-9"`: the product of
/// the shipped families over blocks of columns, as the command line and model files see it
/// (the contract is in <emkit/cli/description.hpp>). Each block is written to and read from
/// the model file by its own family's description (`write_components`, `read_components`).

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <Eigen/Core>

#include <emkit/cli/description.hpp>
#include <emkit/cli/model_reader.hpp>
#include <emkit/cli/text_format.hpp>
#include <emkit/framework/estep/soft_estep.hpp>
#include <emkit/models/describe/bernoulli.hpp>
#include <emkit/models/describe/gaussian.hpp>
#include <emkit/models/describe/poisson.hpp>
#include <emkit/models/mixture.hpp>
#include <emkit/models/product.hpp>

namespace emkit {

template <>
struct description<mixed_product> {
  using family_type = mixed_product;
  using params = mixed_product::params_type;
  using estep_type = soft_estep;
  static constexpr const char* name = "product";
  static constexpr const char* help = "product (a family per block of columns, see --columns)";

  static std::vector<cli::family_option> options() {
    return {{"--columns",
             "With --family product: the family of each block of columns, 0-based inclusive ranges, such as "
             "gaussian-diag:0-1,poisson:2-4,bernoulli:5-9 (families gaussian-full, gaussian-diag, "
             "gaussian-spherical, gaussian-tied, poisson, bernoulli)",
             "",
             {}},
            description<gaussian>::options()[1]};  // --reg-covar, for the Gaussian blocks
  }
  /// What to say when an option of another family is given with --family product.
  static std::string option_hint(const std::string& option) {
    return option == "--covariance" ? " (give each Gaussian block's type in --columns, e.g. gaussian-diag:0-1)" : "";
  }

  static bool has_gaussian_block(const family_type& p) {
    for (const auto& b : p.blocks)
      if (std::holds_alternative<gaussian>(b.family)) return true;
    return false;
  }

  /// The product of `--columns`, with `--reg-covar` on its Gaussian blocks.
  static mixture<family_type> make_model(const cli::option_values& o) {
    const std::string columns = o.text("--columns");
    if (!o.given("--columns") || columns.empty()) {
      throw cli::usage_error(
          "--family product needs --columns, the family of each block of columns, e.g. --columns "
          "\"gaussian-diag:0-1,poisson:2-4,bernoulli:5-9\"");
    }
    mixture<family_type> m;
    try {
      m.family = parse_product_layout(columns);
    } catch (const invalid_option& e) {
      std::string_view why = e.what();
      constexpr std::string_view prefix = "parse_product_layout: ";
      if (why.starts_with(prefix)) why.remove_prefix(prefix.size());
      throw cli::usage_error("--columns \"" + cli::display_name(columns) + "\": " + std::string(why));
    }
    if (o.given("--reg-covar") && !has_gaussian_block(m.family)) {
      throw cli::usage_error("--reg-covar applies only to Gaussian components, and --columns \"" +
                             cli::display_name(columns) + "\" has no Gaussian block");
    }
    const double reg = description<gaussian>::reg_covar(o);
    for (auto& b : m.family.blocks)
      if (auto* g = std::get_if<gaussian>(&b.family)) g->reg_covar = reg;
    return m;
  }

  /// One piece of a layout, "poisson:2-4" (or "poisson:3" for one column); columns are 0-based.
  static std::string layout_piece(const family_type::block& b) {
    const std::string label = std::visit([](const auto& f) { return detail::family_label(f, 0); }, b.family);
    if (b.count == 1) return detail::concat(label, ":", b.first);
    return detail::concat(label, ":", b.first, "-", b.first + b.count - 1);
  }
  /// The layout as `--columns` takes it: "gaussian-diag:0-1,poisson:2-4,bernoulli:5-9".
  static std::string layout_text(const family_type& p) {
    std::string out;
    for (const auto& b : p.blocks) out += (out.empty() ? "" : ",") + layout_piece(b);
    return out;
  }

  static void write_kind(const family_type& p, cli::json& j) { j["layout"] = layout_text(p); }
  static std::optional<std::string> kind_text(const family_type& p) { return layout_text(p); }

  /// The "blocks" array: per block its family (and kind), columns, setting and the
  /// parameters of every component, each written by the block family's description.
  static void write_components(const family_type& p, std::span<const params> components, cli::json& j) {
    auto blocks = cli::json::array();
    for (std::size_t b = 0; b < p.blocks.size(); ++b) {
      cli::json o;
      std::visit(
          [&](const auto& f) {
            using F = std::decay_t<decltype(f)>;
            using P = typename F::params_type;
            o["family"] = description<F>::name;
            description<F>::write_kind(f, o);
            o["first_column"] = p.blocks[b].first;
            o["last_column"] = p.blocks[b].first + p.blocks[b].count - 1;
            description<F>::write_setting(f, o);
            std::vector<P> ps;
            ps.reserve(components.size());
            for (const params& c : components) ps.push_back(std::get<P>(c.blocks[b]));
            description<F>::write_components(f, std::span<const P>(ps), o);
          },
          p.blocks[b].family);
      blocks.push_back(std::move(o));
    }
    j["blocks"] = std::move(blocks);
  }
  static void write_setting(const family_type&, cli::json&) {}

  /// The layout of "blocks" (families, settings, columns); the parameters are read by
  /// `read_components`. The blocks must tile the D columns.
  static mixture<family_type> read_model(const cli::model_reader& r, const cli::json& doc) {
    const cli::json& blocks = r.member(doc, "blocks", "blocks");
    if (!blocks.is_array() || blocks.empty()) {
      r.fail("blocks", "expected a non-empty array of blocks, found " + cli::describe_json(blocks));
    }
    const index D = r.integer(doc, "dim", "dim", 1, std::int64_t{1} << 31);
    mixture<family_type> m;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      const cli::json& blk = blocks[b];
      const std::string prefix = detail::concat("blocks[", b, "].");
      if (!blk.is_object())
        r.fail(detail::concat("blocks[", b, "]"), "expected an object, found " + cli::describe_json(blk));
      const std::string name = r.string(blk, "family", prefix + "family");
      const index first = r.integer(blk, "first_column", prefix + "first_column", 0, D - 1);
      const index last = r.integer(blk, "last_column", prefix + "last_column", first, D - 1);
      std::optional<family_type::family_variant> family;
      std::string known;
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((read_block_family<std::variant_alternative_t<I, family_type::family_variant>>(r, blk, prefix, name, family,
                                                                                        known)),
         ...);
      }
      (std::make_index_sequence<std::variant_size_v<family_type::family_variant>>{});
      if (!family) r.fail(prefix + "family", "\"" + cli::display_name(name) + "\" is unknown, expected " + known);
      m.family.blocks.push_back({std::move(*family), first, last - first + 1});
    }
    cli::rebuild(r, "blocks", [&] {
      m.family.validate_layout(D);
      return 0;
    });
    return m;
  }

  /// Each block's parameters of the K components, read by the block family's description.
  static std::vector<params> read_components(const cli::model_reader& r, const cli::json& doc, const std::string&,
                                             const family_type& p, index K, index) {
    const cli::json& blocks = r.member(doc, "blocks", "blocks");
    std::vector<params> out(static_cast<std::size_t>(K));
    for (std::size_t b = 0; b < p.blocks.size(); ++b) {
      const std::string prefix = detail::concat("blocks[", b, "].");
      std::visit(
          [&](const auto& f) {
            using F = std::decay_t<decltype(f)>;
            using P = typename F::params_type;
            const std::vector<P> ps = description<F>::read_components(r, blocks[b], prefix, f, K, p.blocks[b].count);
            for (index k = 0; k < K; ++k)
              out[static_cast<std::size_t>(k)].blocks.emplace_back(std::in_place_type<P>, ps[k]);
          },
          p.blocks[b].family);
    }
    return out;
  }

  static std::string describe(const mixture<family_type>& m, const mixture_params<params>& theta,
                              const std::vector<std::string>& columns) {
    return cli::describe_components(
        "Product mixture: " + cli::sizes_text(theta.size(), theta.dimension) + ", layout " + layout_text(m.family), m,
        theta, columns, [&](const params& c) {
          std::string out;
          for (std::size_t b = 0; b < c.blocks.size(); ++b) {
            out += "  block " + std::to_string(b) + " (" + layout_piece(m.family.blocks[b]) + ")\n";
            std::visit(
                [&](const auto& f) {
                  using F = std::decay_t<decltype(f)>;
                  out += description<F>::describe_component(f, std::get<typename F::params_type>(c.blocks[b]), "    ");
                },
                m.family.blocks[b].family);
          }
          return out;
        });
  }

  /// Throws `data_error` naming the data file when the layout does not cover exactly its D
  /// columns (a block beyond the last column, or columns in no block).
  static void check_columns(const mixture<family_type>& m, index D, const std::string& name) {
    for (const auto& b : m.family.blocks) {
      if (b.first + b.count > D) {
        throw data_error(detail::concat(name, ": has ", cli::counted(D, "column"), " (0-", D - 1,
                                        " counting from 0, as --columns does), but --columns piece '", layout_piece(b),
                                        "' reaches column ", b.first + b.count - 1));
      }
    }
    if (const index covered = m.family.num_columns(); covered < D) {
      const std::string left =
          covered + 1 == D ? detail::concat("column ", covered) : detail::concat("columns ", covered, "-", D - 1);
      throw data_error(detail::concat(name, ": has ", cli::counted(D, "column"),
                                      ", but --columns covers only columns 0-", covered - 1, ", leaving ", left,
                                      " (counting from 0) in no block"));
    }
  }

  /// Names the block of --columns that holds the data's column `column`.
  static std::string support_note(const mixture<family_type>& m, index column) {
    for (const auto& b : m.family.blocks) {
      if (column >= b.first && column < b.first + b.count) {
        return "(block '" + layout_piece(b) + "' of --columns, which counts columns from 0)";
      }
    }
    return "(product)";
  }
  static std::optional<Eigen::VectorXd> component_mean(const params&) { return std::nullopt; }
  static std::optional<Eigen::MatrixXd> component_covariance(const params&) { return std::nullopt; }

 private:
  /// Reads the block's family F into `family` when the block's "family" is F's name.
  template <class F>
  static void read_block_family(const cli::model_reader& r, const cli::json& blk, const std::string& prefix,
                                const std::string& name, std::optional<family_type::family_variant>& family,
                                std::string& known) {
    known += (known.empty() ? ""
              : std::is_same_v<F, std::variant_alternative_t<std::variant_size_v<family_type::family_variant> - 1,
                                                             family_type::family_variant>>
                  ? " or "
                  : ", ") +
             std::string(description<F>::name);
    if (!family && name == description<F>::name)
      family.emplace(std::in_place_type<F>, description<F>::read_family(r, blk, prefix));
  }
};

}  // namespace emkit
