#pragma once
/// \file
/// Every concept of emkit: what a family, a latent model and each policy must provide.

#include <emkit/framework/concepts/component_family.hpp>
#include <emkit/framework/concepts/estep_policy.hpp>
#include <emkit/framework/concepts/execution_policy.hpp>
#include <emkit/framework/concepts/init_policy.hpp>
#include <emkit/framework/concepts/latent_model.hpp>
#include <emkit/framework/concepts/mergeable_stats.hpp>
