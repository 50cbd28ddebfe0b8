#pragma once
/// \file
/// All of emkit: the engine, its policies, and the shipped models.

#include <emkit/concepts.hpp>
#include <emkit/version.hpp>

#include <emkit/framework/engine/fitter.hpp>
#include <emkit/framework/engine/online_fitter.hpp>
#include <emkit/framework/engine/predict.hpp>
#include <emkit/framework/estep/hard_estep.hpp>
#include <emkit/framework/estep/soft_estep.hpp>
#include <emkit/framework/execution/serial.hpp>
#include <emkit/framework/execution/threads.hpp>
#include <emkit/framework/init/policies.hpp>

#include <emkit/models/bernoulli.hpp>
#include <emkit/models/gaussian.hpp>
#include <emkit/models/kmeans.hpp>
#include <emkit/models/mixture.hpp>
#include <emkit/models/poisson.hpp>
#include <emkit/models/product.hpp>
