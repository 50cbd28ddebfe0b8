/// \file
/// The model file: writing and reading (see <emkit/cli/model_file.hpp>).

#include <emkit/cli/model_file.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <utility>

#include <emkit/framework/data/chunk_buffer.hpp>
#include <emkit/framework/engine/check_data.hpp>
#include <emkit/framework/io/atomic_file.hpp>
#include <emkit/version.hpp>

namespace emkit::cli {

fit_measures measure_fit(const fitted_model& m, matrix_ref X, vector_ref w) {
  fit_measures out;
  out.n_observations = X.rows();
  if (m.hard()) {
    out.inertia = m.inertia([&](const std::function<void(matrix_ref, vector_ref)>& chunk) {
      check_data(X, "inertia");
      check_weights(w, X.rows(), "inertia");
      constexpr index rows = 256;
      for (index begin = 0; begin < X.rows(); begin += rows) {
        const index n = std::min(rows, X.rows() - begin);
        chunk(X.middleRows(begin, n), w.segment(begin, n));
      }
    });
  }
  return out;
}

fit_measures measure_fit(const fitted_model& m, const stream_file& data) {
  fit_measures out;
  out.n_observations = data.rows();
  if (m.hard()) {
    out.inertia = m.inertia([&](const std::function<void(matrix_ref, vector_ref)>& chunk) {
      std::visit(
          [&](const auto& source) {
            constexpr index rows = 256;
            chunk_buffer buffer;
            for (index begin = 0; begin < source.rows(); begin += rows) {
              const chunk_view v = buffer.read(source, {begin, std::min(rows, source.rows() - begin)});
              chunk(v.X, v.w);
            }
          },
          data.source);
    });
  }
  return out;
}

information_criteria criteria_of(const fitted_model& m, const summary& s) {
  information_criteria c;
  c.parameters = m.num_free_parameters();
  const double p = static_cast<double>(c.parameters);
  c.bic = -2.0 * s.log_likelihood + p * std::log(s.total_weight);
  c.aic = -2.0 * s.log_likelihood + 2.0 * p;
  return c;
}

json monitor_json(const summary& s) {
  json out;
  out["checks_passed"] = s.violations.empty();
  auto list = json::array();
  for (const violation& v : s.violations) {
    list.push_back({{"restart", v.restart},
                    {"iteration", v.iteration},
                    {"check", to_string(v.check)},
                    {"size", v.size},
                    {"tolerance", v.tolerance}});
  }
  out["violations"] = std::move(list);
  return out;
}

json warnings_json(const summary& s) {
  auto out = json::array();
  for (const warning& w : s.warnings) {
    out.push_back("restart " + std::to_string(w.restart) + ", iteration " + std::to_string(w.iteration) + ": " +
                  w.message);
  }
  return out;
}

json model_json(const fitted_model& m, const summary& s, const fit_measures& measures, const fit_provenance& how) {
  const information_criteria ic = criteria_of(m, s);
  json j;
  j["format"] = model_format;
  j["format_version"] = model_format_version;
  j["emkit_version"] = version;
  j["family"] = family_name(m);
  m.write_kind(j);
  j["k"] = m.num_components();
  j["dim"] = m.dimension();
  j["weights"] = json_array(m.weights());
  m.write_components(j);
  j["log_likelihood"] = s.log_likelihood;
  if (m.hard()) {
    if (!measures.inertia) throw invalid_option("model_json: a K-means model needs its inertia (see measure_fit)");
    j["classification_log_likelihood"] = s.objective;
    j["inertia"] = *measures.inertia;
  }
  j["iterations"] = s.iterations;
  j["converged"] = s.converged;
  j["n_parameters"] = ic.parameters;
  j["bic"] = ic.bic;
  j["aic"] = ic.aic;
  j["seconds"] = s.seconds;
  j["n_observations"] = measures.n_observations;
  j["total_weight"] = s.total_weight;
  m.write_setting(j);
  j["restarts"] = how.restarts;
  j["seed"] = how.seed;
  j["tol"] = how.tolerance;
  j["max_iter"] = how.max_iterations;
  j["init"] = how.init;
  j["init_means_file"] = how.init_means_file ? json(*how.init_means_file) : nullptr;
  if (how.init_labels_file) j["init_labels_file"] = *how.init_labels_file;
  if (how.init_model_file) j["init_model_file"] = *how.init_model_file;
  j["data_file"] = how.data_file;
  j["weights_file"] = how.weights_file ? json(*how.weights_file) : nullptr;
  j["columns"] = how.columns;
  j["best_restart"] = s.best_restart;
  j["restart_objectives"] = s.restart_objectives;
  j["monitor"] = monitor_json(s);
  j["warnings"] = warnings_json(s);
  return j;
}

std::string model_file_text(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

void save(const std::string& path, const fitted_model& m, const summary& s, const fit_measures& measures,
          const fit_provenance& how) {
  io::write_file_atomically(path, model_file_text(model_json(m, s, measures, how)));
}

std::string family_name(const fitted_model& m) { return m.kind().name(); }

namespace {

/// Follows the key path of a parse so that a syntax error can name where it happened.
class json_path_tracker {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(number_integer_t) { return value(); }
  bool number_unsigned(number_unsigned_t) { return value(); }
  bool number_float(number_float_t, const string_t&) { return value(); }
  bool string(string_t&) { return value(); }
  bool binary(binary_t&) { return value(); }
  bool start_object(std::size_t) {
    value();
    frames_.push_back({false, {}, 0, false});
    return true;
  }
  bool key(string_t& k) {
    // The key goes into a one-line message: control characters (a JSON "\n") become '?'.
    frames_.back().key = k;
    for (char& c : frames_.back().key) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) c = '?';
    }
    frames_.back().value_seen = false;
    return true;
  }
  bool end_object() {
    frames_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    value();
    frames_.push_back({true, {}, 0, false});
    return true;
  }
  bool end_array() {
    frames_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    error_position_ = position;
    error_path_ = path();
    error_after_value_ = !frames_.empty() && !frames_.back().array && frames_.back().value_seen;
    return false;
  }

  /// The byte just past the error.
  [[nodiscard]] std::size_t error_position() const { return error_position_; }
  /// Where the error is: "(in key "means[1][0]")", "(after key "k")" when the text broke
  /// between an object's members, or "" at the top level.
  [[nodiscard]] std::string error_place() const {
    if (error_path_.empty()) return {};
    return (error_after_value_ ? " (after key \"" : " (in key \"") + error_path_ + "\")";
  }

 private:
  struct frame {
    bool array = false;
    std::string key;
    std::size_t started = 0;  ///< elements of an array started so far
    bool value_seen = false;  ///< an object's value for `key` has started
  };

  bool value() {
    if (!frames_.empty()) {
      ++frames_.back().started;
      frames_.back().value_seen = true;
    }
    return true;
  }

  /// "means[1][0]", "blocks[2].rates": the innermost array names the element being read
  /// (the next one), the others the element that holds it.
  [[nodiscard]] std::string path() const {
    std::string out;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      const frame& f = frames_[i];
      const bool innermost = i + 1 == frames_.size();
      if (f.array) {
        out += '[';
        out += std::to_string(innermost ? f.started : (f.started == 0 ? 0 : f.started - 1));
        out += ']';
      } else if (!f.key.empty() || !innermost) {
        if (!out.empty()) out += '.';
        out += f.key;
      }
    }
    return out;
  }

  std::vector<frame> frames_;
  std::size_t error_position_ = 0;
  std::string error_path_;
  bool error_after_value_ = false;
};

/// A parse error of nlohmann::json without its "[json.exception.parse_error.101] " prefix.
[[nodiscard]] inline std::string json_error_text(const std::exception& e) {
  std::string_view text = e.what();
  if (text.starts_with("[json.exception.")) {
    if (const std::size_t end = text.find("] "); end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

/// "line 3, column 7" of the byte `position` of `text` (1-based; the position just past the
/// error, as nlohmann reports it).
[[nodiscard]] inline std::string text_position(std::string_view text, std::size_t position) {
  position = std::min(position, text.size());
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i + 1 < position; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return emkit::detail::concat("line ", line, ", column ", column);
}

/// The parameters and model of a parsed model file, by the family its "family" names.
std::shared_ptr<const fitted_model> read_model(const model_reader& r, const json& doc, const family_list& families) {
  if (!doc.is_object()) {
    throw error(emkit::detail::concat(
        "not an emkit model file: expected a JSON object with \"format\": \"emkit-model\", found ",
        describe_json(doc)));
  }
  const std::string format = r.string(doc, "format", "format");
  if (format != model_format) {
    r.fail("format", "\"" + display_name(format) + "\" is not an emkit model file, expected \"emkit-model\"");
  }
  const json& version_json = r.member(doc, "format_version", "format_version");
  if (!version_json.is_number_integer() || version_json.get<std::int64_t>() != model_format_version) {
    r.fail("format_version", emkit::detail::concat(version_json.dump(), " is not supported, expected ",
                                                   model_format_version, " (this is emkit ", version, ")"));
  }
  const std::string family = r.string(doc, "family", "family");
  const model_kind* kind = nullptr;
  for (const auto& k : families)
    if (k->name() == family) kind = k.get();
  if (kind == nullptr) {
    r.fail("family", "\"" + display_name(family) + "\" is unknown, expected " + family_names(families));
  }
  constexpr std::int64_t max_size = std::int64_t{1} << 31;
  const index K = r.integer(doc, "k", "k", 1, max_size);
  const index D = r.integer(doc, "dim", "dim", 1, max_size);
  return kind->read(r, doc, K, D);
}

}  // namespace

loaded_model load_text(std::string_view text, const std::string& name, const family_list& families) {
  const std::string file = display_name(name);
  const model_reader r(file);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // Parse again, following the keys, to say where the text broke.
    json_path_tracker tracker;
    (void)json::sax_parse(text, &tracker);
    std::string what = json_error_text(e);
    if (what.find(" at line ") == std::string::npos) what += " at " + text_position(text, tracker.error_position());
    throw error(file + ": not valid JSON" + tracker.error_place() + ": " + what);
  }
  loaded_model out;
  try {
    out.model = read_model(r, doc, families);
  } catch (const error& e) {
    const std::string what = e.what();
    if (what.starts_with(file + ": ")) throw;
    throw error(file + ": " + what);
  }
  if (const auto it = doc.find("columns"); it != doc.end() && !it->is_null()) {
    const index D = out.model->dimension();
    if (!it->is_array() || !(it->empty() || static_cast<index>(it->size()) == D)) {
      r.fail("columns", "expected no names or " + counted(D, "name") + ", found " + describe_json(*it));
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        r.fail(emkit::detail::concat("columns[", i, "]"), "expected a string, found " + describe_json((*it)[i]));
      }
      out.columns.push_back((*it)[i].get<std::string>());
    }
  }
  out.document = std::move(doc);
  return out;
}

loaded_model load_text(std::string_view text, const std::string& name) {
  return load_text(text, name, shipped_families());
}

loaded_model load(const std::string& path, const family_list& families) {
  return load_text(read_file_text(path), path, families);
}

loaded_model load(const std::string& path) { return load(path, shipped_families()); }

const model_kind& find_family(const family_list& families, const std::string& name, const std::string& option) {
  for (const auto& k : families)
    if (k->name() == name) return *k;
  throw usage_error(option + " " + display_name(name) + " is unknown, expected " + family_names(families));
}

std::string family_names(const family_list& families) {
  std::string out;
  for (std::size_t i = 0; i < families.size(); ++i) {
    if (i > 0) out += i + 1 == families.size() ? " or " : ", ";
    out += families[i]->name();
  }
  return out;
}

}  // namespace emkit::cli
