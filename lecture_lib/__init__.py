"""lecture_lib: the numpy code behind the notebooks of "Machine Learning Soundings".

One module per idea of the lecture, named after it:

* :mod:`lecture_lib.init`: weight initialization schemes (zeros, constant, normal, Xavier, He).
* :mod:`lecture_lib.activations`: tanh and ReLU with their derivatives.
* :mod:`lecture_lib.network`: the MLP, forward and backward in the slides' notation.
* :mod:`lecture_lib.variance`: how var(x^(l)) and var(delta^(l)) travel through layers.
* :mod:`lecture_lib.data`: the digits data and small synthetic sets (nothing is downloaded).
* :mod:`lecture_lib.regularization`: dropout.
* :mod:`lecture_lib.checks`: gradient checks and relative errors.

The core modules import numpy only. Plotting (:mod:`lecture_lib.plots`) and the widget
dashboards (:mod:`lecture_lib.dashboards`) sit on top of them.
"""

__version__ = "0.1.0"
