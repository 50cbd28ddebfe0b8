#pragma once
// Data for tests: the bundled data sets and draws from a known Gaussian mixture, made with
// Boost.Random directly (not with emkit's own sampler) so that they are independent of it.
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>

#include <emkit/framework/io/csv.hpp>

namespace emkit::testing {

inline Eigen::MatrixXd load_data(const std::string& name) {
  return emkit::io::read_csv(std::string(EMKIT_DATA_DIR) + "/" + name).values;
}

/// A known mixture: weights, means (rows), covariances.
struct known_mixture {
  Eigen::VectorXd weights;
  Eigen::MatrixXd means;
  std::vector<Eigen::MatrixXd> covariances;
};

/// Three well-separated, differently shaped components in 2-D.
inline known_mixture three_blobs() {
  known_mixture m;
  m.weights = Eigen::Vector3d(0.5, 0.3, 0.2);
  m.means.resize(3, 2);
  m.means << 0.0, 0.0, 8.0, 1.0, 2.0, 9.0;
  m.covariances.push_back((Eigen::Matrix2d() << 1.0, 0.3, 0.3, 0.5).finished());
  m.covariances.push_back((Eigen::Matrix2d() << 0.8, -0.2, -0.2, 1.2).finished());
  m.covariances.push_back((Eigen::Matrix2d() << 0.5, 0.0, 0.0, 0.5).finished());
  return m;
}

/// n draws from `m` (and their labels when `labels` is given), from seed `seed`.
inline Eigen::MatrixXd draw(const known_mixture& m, Eigen::Index n, unsigned seed, std::vector<int>* labels = nullptr) {
  boost::random::mt19937 rng(seed);
  boost::random::normal_distribution<double> normal;
  boost::random::uniform_01<double> uniform;
  const Eigen::Index D = m.means.cols();
  std::vector<Eigen::MatrixXd> chol;
  for (const auto& c : m.covariances) chol.push_back(Eigen::LLT<Eigen::MatrixXd>(c).matrixL());
  Eigen::MatrixXd X(n, D);
  if (labels) labels->assign(static_cast<std::size_t>(n), 0);
  for (Eigen::Index i = 0; i < n; ++i) {
    double u = uniform(rng), acc = 0.0;
    int k = 0;
    for (; k + 1 < m.weights.size(); ++k) {
      acc += m.weights[k];
      if (u < acc) break;
    }
    Eigen::VectorXd z(D);
    for (Eigen::Index d = 0; d < D; ++d) z[d] = normal(rng);
    X.row(i) = (m.means.row(k).transpose() + chol[k] * z).transpose();
    if (labels) (*labels)[static_cast<std::size_t>(i)] = k;
  }
  return X;
}

}  // namespace emkit::testing
