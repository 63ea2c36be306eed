"""lecture_lib: the numpy code behind the notebooks of "Machine Learning Soundings".

One module per idea of the lecture, named after it (each imports only numpy and the modules
listed above it):

* :mod:`lecture_lib.validate`: the checks the public entry points run on their arguments.
* :mod:`lecture_lib.activations`: tanh and ReLU with their derivatives.
* :mod:`lecture_lib.init`: weight initialization schemes (zeros, constant, normal, Xavier, He).
* :mod:`lecture_lib.dropout`: dropout's keep-mask and the check of p (plain and inverted).
* :mod:`lecture_lib.network`: the one forward and backward pass in the slides' notation (layer
  functions and the softmax cross-entropy, for one network or K stacked ones) and the MLP
  built on it (with dropout in either convention).
* :mod:`lecture_lib.optim`: the registry of update rules (SGD, momentum, RMSProp, Adam, and the
  moving window, heavy ball and printed rate for comparison), each a pure step, and the
  optimizer classes that wrap them.
* :mod:`lecture_lib.averaging`: the running averages of minibatch gradients behind them.
* :mod:`lecture_lib.surfaces`: 2-D error surfaces, their local minima, runs of the rules on
  them.
* :mod:`lecture_lib.minibatch`: the variance of a minibatch gradient, measured and predicted.
* :mod:`lecture_lib.training`: the training loop with validation and early stopping.
* :mod:`lecture_lib.regularization`: dropout experiments (thinned nets, knock-outs, the two
  conventions side by side) and the capacity proxy of early stopping.
* :mod:`lecture_lib.variance`: how var(x^(l)) and var(delta^(l)) travel through layers (the
  init dashboard's math).
* :mod:`lecture_lib.momentum`: momentum on the quadratic ravine (its rate, largest stable η,
  ringing, tuned (η, β), the (η, β) map) and the largest stable η of real runs.
* :mod:`lecture_lib.sweeps`: many digits networks trained at once (the vectorised trainer) and
  the learning-rate sweeps over seeds built on it.
* :mod:`lecture_lib.spread`: one number over seeds, with its spread (mean ± sd, median and
  range).
* :mod:`lecture_lib.optimization_studies`: optimization over many runs (escape from a shallow
  minimum over (η, β), noisy runs over seeds, step lengths, epoch-0 curves).
* :mod:`lecture_lib.init_studies`: initialization over seeds (training curves per scheme,
  symmetry, saturation, layer statistics, cosines between inputs).
* :mod:`lecture_lib.regularization_studies`: dropout over seeds (runs per p, many at once, the
  pair knock-outs of co-adaptation).
* :mod:`lecture_lib.runs`: runs as the optimization and dropout dashboards show them (paths on
  the surfaces, dropout runs that go on, early stopping read off a run, the run cache).
* :mod:`lecture_lib.data`: the digits data and small synthetic sets (nothing is downloaded).
* :mod:`lecture_lib.checks`: gradient checks and relative errors.

The core modules import numpy only. Plotting (:mod:`lecture_lib.plots`) and the widget
dashboards (:mod:`lecture_lib.dashboards`) sit on top of them.
"""

__version__ = "0.1.0"
