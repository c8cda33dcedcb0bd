// Tail probabilities of the chi-squared and F distributions, for the statistical tests of
// feature selection (UnivariateFeatureSelector). Computed from the regularized incomplete
// gamma and beta functions by their series and continued fractions (modified Lentz), to
// about 1e-13 relative error, also far into the tails (p-values down to 1e-300).
#pragma once

namespace ember::stages::internal {

// Regularized upper incomplete gamma Q(a, x) = Gamma(a, x) / Gamma(a); a > 0, x >= 0.
double GammaQ(double a, double x);
// Regularized incomplete beta I_x(a, b); a, b > 0, x in [0, 1].
double BetaI(double a, double b, double x);

// P(X >= stat) for X chi-squared with `df` degrees of freedom (> 0).
double ChiSquaredSurvival(double stat, double df);
// P(X >= stat) for X F-distributed with (df1, df2) degrees of freedom (both > 0).
double FSurvival(double stat, double df1, double df2);

}  // namespace ember::stages::internal
