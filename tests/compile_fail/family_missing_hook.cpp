// A family without `maximize` is not a ComponentFamily: mixture<> must reject it at the
// constraint. Compiled with -DEMKIT_COMPLETE_FAMILY, the same family is complete and the file
// compiles, which shows that the missing hook is the only reason for the failure.
#include <emkit/emkit.hpp>

struct half_written_family {
  struct params_type {
    double rate = 1.0;
  };
  struct stats_type {
    double w = 0, wx = 0;
    stats_type& operator+=(const stats_type& o) {
      w += o.w;
      wx += o.wx;
      return *this;
    }
  };
  Eigen::VectorXd log_density(const params_type& p, emkit::matrix_ref X) const {
    return (std::log(p.rate) - p.rate * X.col(0).array()).matrix();
  }
  stats_type accumulate(emkit::matrix_ref X, emkit::vector_ref w) const { return {w.sum(), w.dot(X.col(0))}; }
#ifdef EMKIT_COMPLETE_FAMILY
  params_type maximize(const stats_type& s) const { return {s.w / s.wx}; }
#endif
};

int main() {
  emkit::mixture<half_written_family> model;
  (void)model;
}
