#pragma once
/// \file
/// The progress line of `emkit fit` and `emkit select` on standard error: one line, redrawn in
/// place with '\r' at most every `interval` as the fit's `on_iteration` callback reports
/// records, and ended with a newline (after a last draw of the final state) when the fit is
/// over. `--progress auto` draws it only when standard error is a terminal.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <ostream>
#include <string>

#include <emkit/framework/engine/iteration_record.hpp>

#include <emkit/cli/cli_files.hpp>

namespace emkit::cli {

/// Whether to draw the progress line: `--progress auto|always|never` (and `--quiet`, which
/// means never). `auto` draws it when `fd` (standard error) is a terminal.
[[nodiscard]] inline bool progress_wanted(const std::string& mode, bool quiet, int fd = STDERR_FILENO) {
  if (quiet || mode == "never") return false;
  if (mode == "always") return true;
  if (mode == "auto") return ::isatty(fd) == 1;
  throw usage_error("--progress " + display_name(mode) + ": expected auto, always or never");
}

/// One line of progress on `out`, redrawn in place. Disabled, it prints nothing.
class progress_line {
 public:
  using clock = std::chrono::steady_clock;

  progress_line(std::ostream& out, bool enabled, clock::duration interval = std::chrono::milliseconds(100))
      : out_(out), enabled_(enabled), interval_(interval), last_draw_(clock::now()) {}
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;
  ~progress_line() { finish(); }

  /// A prefix naming what is being fitted ("k 3 diag: "), for a command that fits several models.
  void set_label(std::string label) { label_ = std::move(label); }

  /// Records iteration `r` of restart `restart` (0-based) of `restarts`; redraws when
  /// `interval` has passed since the last draw.
  void update(int restart, int restarts, const iteration_record& r) {
    if (!enabled_) return;
    text_ = label_ + describe(restart, restarts, r);
    pending_ = true;
    if (clock::now() - last_draw_ >= interval_) draw();
  }

  /// The callback for `fit_options::on_iteration` of a fit with `restarts` restarts.
  [[nodiscard]] std::function<void(int, const iteration_record&)> callback(int restarts) {
    if (!enabled_) return {};
    return [this, restarts](int restart, const iteration_record& r) { update(restart, restarts, r); };
  }

  /// Draws the last state if it has not been drawn and ends the line; nothing if no record came.
  void finish() noexcept {
    if (!enabled_ || (!pending_ && !drawn_)) return;
    try {
      if (pending_) draw();
      out_ << '\n' << std::flush;
    } catch (...) {  // a progress display never turns a fit into a failure
    }
    drawn_ = false;
  }

  /// "restart 2/5  iteration 37  log-likelihood -1130.2639  change 3.1e-09".
  [[nodiscard]] static std::string describe(int restart, int restarts, const iteration_record& r) {
    char text[160];
    if (std::isfinite(r.change)) {
      std::snprintf(text, sizeof text, "restart %d/%d  iteration %d  log-likelihood %.10g  change %.2g", restart + 1,
                    restarts, r.iteration, r.log_likelihood, r.change);
    } else {
      std::snprintf(text, sizeof text, "restart %d/%d  iteration %d  log-likelihood %.10g", restart + 1, restarts,
                    r.iteration, r.log_likelihood);
    }
    return text;
  }

 private:
  /// '\r', the text, and blanks over what is left of a longer previous line.
  void draw() {
    std::string line = "\r" + text_;
    if (text_.size() < width_) line.append(width_ - text_.size(), ' ');
    width_ = std::max(width_, text_.size());  // the widest line drawn is what may still show
    out_ << line << std::flush;
    last_draw_ = clock::now();
    pending_ = false;
    drawn_ = true;
  }

  std::ostream& out_;
  bool enabled_;
  clock::duration interval_;
  clock::time_point last_draw_;
  std::string label_;
  std::string text_;
  std::size_t width_ = 0;
  bool pending_ = false;  ///< text_ holds a state not yet drawn
  bool drawn_ = false;    ///< the current line has been drawn and not yet ended
};

}  // namespace emkit::cli
