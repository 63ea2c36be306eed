"""What a careless student types, at every public entry point of the core and of the analysis
helpers the notebooks call (variance, momentum, sweeps, the studies over seeds, the quiz):
each bad input is a ValueError that names the parameter, raised before any work (well under a
second, CPU time).

One table, one row per case: (id, the call, the parameter name the message must contain).
Resource requests (gigabytes, hours) are refused here too, before allocating or looping.
The dashboards' constructors are checked in their own test files, their controls in
tests/test_dashboards_careless.py.
"""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest

from lecture_lib.averaging import (
    effective_window,
    moving_window_average,
    running_average,
    running_average_weights,
    stationary_variance_ratio,
    unrolled_running_average,
    weight_of_last,
)
from lecture_lib.checks import numerical_gradient
from lecture_lib.dashboards.quiz import Question, Quiz
from lecture_lib.data import gaussian_inputs, load_digits, spirals
from lecture_lib.init import init_weights
from lecture_lib.init_studies import (
    cosine_by_layer,
    distinct_units,
    init_training_curves,
    layer_statistics,
    saturation_study,
)
from lecture_lib.minibatch import (
    minibatch_variance,
    per_sample_variance,
    predicted_minibatch_variance,
)
from lecture_lib.momentum import momentum_eta_limit, momentum_map, tuned_momentum
from lecture_lib.network import MLP, softmax_cross_entropy
from lecture_lib.optim import (
    SGD,
    Adam,
    HeavyBall,
    Momentum,
    MovingWindow,
    RMSProp,
    make_optimizer,
)
from lecture_lib.regularization import (
    distance_from_start,
    draw_masks,
    dropout,
    dropout_forward,
    dropout_mask,
    ensemble_distances,
    knockout_damage,
    plain_to_inverted,
    sgd_same_masks,
    thinned_average,
    thinned_weights,
    training_score_mean,
)
from lecture_lib.regularization_studies import dropout_runs
from lecture_lib.spread import seed_spread
from lecture_lib.surfaces import quadratic, run
from lecture_lib.sweeps import best_eta, lr_sweeps, train_many
from lecture_lib.training import digits_net, fit
from lecture_lib.variance import (
    mlp_with_weight_variances,
    predicted_backward_variance,
    predicted_forward_variance,
)

#: "Well under a second": the budget for refusing, in CPU seconds of this process.
REFUSAL_CPU_S = 0.25


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


NET = MLP([4, 5, 3], activation="tanh", init="xavier", rng=rng(), dropout=0.5)
X = rng(1).standard_normal((6, 4))
Y = np.array([0, 1, 2, 0, 1, 2])
DELTAS = rng(2).standard_normal((5, 2))


def with_nan(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a[0, 0] = np.nan
    return a


def mlp(**changes):
    options = {"activation": "tanh", "init": "xavier", "rng": rng()} | changes
    sizes = options.pop("sizes", [4, 5, 3])
    return MLP(sizes, **options)


def train(**changes):
    options = {"model": mlp(), "optimizer": SGD(0.1), "X_train": X, "y_train": Y, "X_val": X,
               "y_val": Y, "epochs": 1, "batch_size": 2, "rng": rng()} | changes
    return fit(**options)


def walk(surface="ravine", **changes):
    options = {"optimizer": SGD(0.05), "steps": 10} | changes
    return run(surface, **options)


def step(params, grads):
    return SGD(0.1).step(params, grads)


def nan_eta_afterwards():
    optimizer = SGD(0.1)
    optimizer.eta = math.nan
    return optimizer


DIGITS = load_digits(seed=0)
DX, DY = DIGITS.X_train[:40], DIGITS.y_train[:40]
X16 = rng(3).standard_normal((5, 16))


def question(**changes):
    options = {"prompt": "?", "options": ("a", "b"), "answer": 0, "explanation": "a"} | changes
    return Question(**options)


def forward_variance(**changes):
    options = {"var_x0": 1.0, "widths": [4, 4, 4], "weight_variances": [0.25, 0.25],
               "activation": "tanh"} | changes
    return predicted_forward_variance(**options)


def curves(**changes):
    options = {"X": DX, "y": DY, "sizes": [64, 8, 10], "kinds": ["xavier"],
               "activation": "tanh", "seeds": [0], "epochs": 1, "batch_size": 20,
               "eta": 0.1} | changes
    X, y, sizes, kinds = (options.pop(k) for k in ("X", "y", "sizes", "kinds"))
    return init_training_curves(X, y, sizes, kinds, **options)


def drop_runs(**changes):
    options = {"ps": [0.0, 0.5], "seeds": [0], "epochs": 1, "batch_size": 20} | changes
    ps = options.pop("ps")
    return dropout_runs(DX, DY, DX, DY, [64, 8, 10], ps, **options)


def variance(**changes):
    options = {"model": NET, "X": X, "y": Y, "batch_size": 2, "draws": 3, "rng": rng()} | changes
    return minibatch_variance(**options)


CASES = [
    # ------------------------------------------------------------------ the network
    ("MLP sizes 2.7 (was truncated to 2)", lambda: mlp(sizes=[3, 2.7, 2]), "sizes[1]"),
    ("MLP one width", lambda: mlp(sizes=[3]), "sizes"),
    ("MLP width 0", lambda: mlp(sizes=[3, 0, 2]), "sizes[1]"),
    ("MLP width True", lambda: mlp(sizes=[3, True, 2]), "sizes[1]"),
    ("MLP sizes a string", lambda: mlp(sizes="342"), "sizes"),
    ("MLP 74 GiB of weights", lambda: mlp(sizes=[1] + [10**4] * 100 + [1]), "sizes"),
    ("MLP init kaiming", lambda: mlp(init="kaiming"), "init"),
    ("MLP activation sigmoid", lambda: mlp(activation="sigmoid"), "activation"),
    ("MLP rng None", lambda: mlp(rng=None), "rng"),
    ("MLP rng a seed", lambda: mlp(rng=42), "rng"),
    ("MLP dropout a string", lambda: mlp(dropout="0.5"), "dropout"),
    ("MLP dropout 1", lambda: mlp(dropout=1.0), "dropout"),
    ("MLP dropout negative", lambda: mlp(dropout=-0.1), "dropout"),
    ("MLP dropout nan", lambda: mlp(dropout=math.nan), "dropout"),
    ("MLP dropout two p, one layer", lambda: mlp(dropout=[0.5, 0.5]), "dropout"),
    ("MLP normal without variance", lambda: mlp(init="normal"), "variance"),
    ("MLP normal variance -1", lambda: mlp(init="normal", variance=-1.0), "variance"),
    ("MLP constant value nan", lambda: mlp(init="constant", value=math.nan), "value"),
    ("MLP dropout set to 2", lambda: setattr(mlp(), "dropout", 2), "dropout"),
    ("forward empty X", lambda: NET.forward(np.zeros((0, 4))), "X"),
    ("forward NaN in X", lambda: NET.forward(with_nan(X)), "X"),
    ("forward inf in X", lambda: NET.forward(X * np.inf), "X"),
    ("forward wrong width", lambda: NET.forward(np.ones((2, 5))), "X"),
    ("forward 1-D X", lambda: NET.forward(np.ones(4)), "X"),
    ("forward strings", lambda: NET.forward(np.array([["a"] * 4])), "X"),
    ("forward train 'yes'", lambda: NET.forward(X, train="yes"), "train"),
    ("forward inverted 'no'", lambda: NET.forward(X, inverted="no"), "inverted"),
    ("loss label -1", lambda: NET.loss(X, np.array([0, 1, 2, 0, 1, -1])), "y"),
    ("loss label K", lambda: NET.loss(X, np.array([0, 1, 2, 0, 1, 3])), "y"),
    ("loss labels 0.5", lambda: NET.loss(X, np.full(6, 0.5)), "y"),
    ("loss len(X) != len(y)", lambda: NET.loss(X, Y[:4]), "y"),
    ("accuracy label strings", lambda: NET.accuracy(X, np.array(list("abcdef"))), "y"),
    ("loss_and_grads short masks", lambda: NET.loss_and_grads(X, Y, masks=[None]), "masks"),
    ("loss_and_grads mask shape",
     lambda: NET.loss_and_grads(X, Y, masks=[None, np.ones((6, 4), bool), None]), "masks[1]"),
    ("W of layer 0", lambda: NET.W(0), "layer l"),
    ("b of layer L+1", lambda: NET.b(3), "layer l"),
    ("set_params too few", lambda: NET.set_params(NET.params[:2]), "params"),
    ("set_params wrong shape",
     lambda: NET.set_params([np.zeros((5, 4))] + NET.params[1:]), "params[0]"),
    ("propagate_delta shape", lambda: (NET.forward(X), NET.propagate_delta(np.ones((6, 2)))),
     "delta_out"),
    ("softmax_cross_entropy label -1",
     lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([0, -1])), "y"),
    ("softmax_cross_entropy 1-D scores",
     lambda: softmax_cross_entropy(np.zeros(3), np.array([0])), "scores"),
    # ------------------------------------------------------------------ initialization
    ("init_weights 3 GB", lambda: init_weights("xavier", 20000, 20000, rng=rng()), "d_in x d_out"),
    ("init_weights constant nan", lambda: init_weights("constant", 3, 4, rng=rng(),
                                                       value=math.nan), "value"),
    ("init_weights scheme kaiming", lambda: init_weights("kaiming", 3, 4, rng=rng()), "scheme"),
    ("init_weights d_in 0", lambda: init_weights("xavier", 0, 3, rng=rng()), "d_in"),
    ("init_weights d_out 2.5", lambda: init_weights("xavier", 3, 2.5, rng=rng()), "d_out"),
    ("init_weights rng None", lambda: init_weights("xavier", 3, 3, rng=None), "rng"),
    ("init_weights variance inf", lambda: init_weights("normal", 3, 3, rng=rng(),
                                                       variance=math.inf), "variance"),
    ("init_weights variance '1'", lambda: init_weights("normal", 3, 3, rng=rng(),
                                                       variance="1"), "variance"),
    ("init_weights variance for xavier", lambda: init_weights("xavier", 3, 3, rng=rng(),
                                                              variance=1.0), "variance"),
    # ------------------------------------------------------------------ optimizers
    ("SGD eta True (was 1)", lambda: SGD(eta=True), "eta"),
    ("SGD eta 0", lambda: SGD(eta=0.0), "eta"),
    ("SGD eta '0.1'", lambda: SGD(eta="0.1"), "eta"),
    ("SGD eta nan", lambda: SGD(eta=math.nan), "eta"),
    ("Momentum beta 1", lambda: Momentum(0.1, beta=1.0), "beta"),
    ("Momentum beta -0.1", lambda: Momentum(0.1, beta=-0.1), "beta"),
    ("HeavyBall beta 1.5", lambda: HeavyBall(0.1, beta=1.5), "beta"),
    ("RMSProp eps 0", lambda: RMSProp(0.1, eps=0.0), "eps"),
    ("RMSProp beta '0.9'", lambda: RMSProp(0.1, beta="0.9"), "beta"),
    ("Adam bias_correction 'no'", lambda: Adam(0.1, bias_correction="no"), "bias_correction"),
    ("Adam decay_steps 0", lambda: Adam(0.1, decay_steps=0), "decay_steps"),
    ("Adam beta2 1", lambda: Adam(0.1, beta2=1), "beta2"),
    ("MovingWindow M 0", lambda: MovingWindow(0.1, M=0), "M"),
    ("MovingWindow M 2.5", lambda: MovingWindow(0.1, M=2.5), "M"),
    ("make_optimizer nope", lambda: make_optimizer("nope", eta=0.1), "name"),
    ("make_optimizer SGD with beta", lambda: make_optimizer("SGD", eta=0.1, beta=0.9), "beta"),
    ("make_optimizer momentum without beta", lambda: make_optimizer("momentum", eta=0.1),
     "beta"),
    ("step gradient of wrong shape", lambda: step([np.zeros(3)], [np.zeros((2, 3))]), "grads[0]"),
    ("step plain Python floats", lambda: step([0.5], [1.0]), "params[0]"),
    ("step int array", lambda: step([np.zeros(3, dtype=int)], [np.zeros(3)]), "params[0]"),
    ("step one gradient too many", lambda: step([np.zeros(3)], [np.zeros(3)] * 2), "grads"),
    ("step arrays, not lists", lambda: step(np.zeros(3), np.zeros(3)), "params"),
    ("step string gradient", lambda: step([np.zeros(3)], [np.array(list("abc"))]), "grads[0]"),
    # ------------------------------------------------------------------ training
    ("fit epochs 0", lambda: train(epochs=0), "epochs"),
    ("fit epochs 10**9", lambda: train(epochs=10**9), "epochs"),
    ("fit batch_size 0", lambda: train(batch_size=0), "batch_size"),
    ("fit batch_size 2.5", lambda: train(batch_size=2.5), "batch_size"),
    ("fit patience 0", lambda: train(patience=0), "patience"),
    ("fit empty X_train", lambda: train(X_train=np.zeros((0, 4)), y_train=Y[:0]), "X_train"),
    ("fit NaN in X_train (was divergence)", lambda: train(X_train=with_nan(X)), "X_train"),
    ("fit label -1 (was a finite loss)", lambda: train(y_train=Y - 1), "y_train"),
    ("fit len(X) != len(y)", lambda: train(y_train=Y[:5]), "y_train"),
    ("fit X_val wrong width", lambda: train(X_val=np.ones((6, 3))), "X_val"),
    ("fit y_val empty", lambda: train(y_val=Y[:0]), "y_val"),
    ("fit rng None", lambda: train(rng=None), "rng"),
    ("fit optimizer a name", lambda: train(optimizer="adam"), "optimizer"),
    ("fit restore_best 'yes'", lambda: train(restore_best="yes"), "restore_best"),
    ("fit callback 3", lambda: train(callback=3), "callback"),
    ("fit model a list", lambda: train(model=[4, 5, 3]), "model"),
    ("digits_net seed -1", lambda: digits_net(seed=-1), "seed"),
    # ------------------------------------------------------------------ surfaces
    ("run surface nope (was KeyError)", lambda: walk("nope"), "surface"),
    ("run steps 10**9", lambda: walk(steps=10**9), "steps"),
    ("run steps -1", lambda: walk(steps=-1), "steps"),
    ("run steps 2.5", lambda: walk(steps=2.5), "steps"),
    ("run noise without rng", lambda: walk(noise=0.1, rng=None), "rng"),
    ("run noise nan", lambda: walk(noise=math.nan), "noise"),
    ("run start of one number", lambda: walk(start=(1.0,)), "start"),
    ("run start nan", lambda: walk(start=(math.nan, 0.0)), "start"),
    ("run optimizer a name", lambda: walk(optimizer="sgd"), "optimizer"),
    ("run eta set to nan afterwards (was 'diverged at step 1'): refused at the assignment",
     lambda: walk(optimizer=nan_eta_afterwards()), "eta"),
    ("quadratic a 0", lambda: quadratic(0, 1), "a"),
    ("quadratic b nan", lambda: quadratic(1, math.nan), "b"),
    # ------------------------------------------------------------------ averaging
    ("unrolled beta 1.5 (was accepted)", lambda: unrolled_running_average(DELTAS, 1.5), "beta"),
    ("unrolled empty deltas", lambda: unrolled_running_average([], 0.5), "deltas"),
    ("running_average beta -0.1", lambda: running_average(DELTAS, -0.1), "beta"),
    ("running_average NaN delta", lambda: running_average(with_nan(DELTAS), 0.5), "deltas"),
    ("moving window M 0", lambda: moving_window_average(DELTAS, 0), "M"),
    ("weights t 0", lambda: running_average_weights(0.5, 0), "t"),
    ("weights t 10**12", lambda: running_average_weights(0.5, 10**12), "t"),
    ("weight_of_last n 2.5", lambda: weight_of_last(0.5, 2.5), "n"),
    ("effective_window beta 1", lambda: effective_window(1.0), "beta"),
    ("variance ratio beta '0.5'", lambda: stationary_variance_ratio("0.5"), "beta"),
    # ------------------------------------------------------------------ minibatch
    ("minibatch_variance B 2.5 (was TypeError)", lambda: variance(batch_size=2.5), "batch_size"),
    ("minibatch_variance B 0", lambda: variance(batch_size=0), "batch_size"),
    ("minibatch_variance B > N", lambda: variance(batch_size=7), "batch_size"),
    ("minibatch_variance draws 0", lambda: variance(draws=0), "draws"),
    ("minibatch_variance rng None", lambda: variance(rng=None), "rng"),
    ("per_sample_variance NaN", lambda: per_sample_variance(NET, with_nan(X), Y), "X"),
    ("predicted B 2.5", lambda: predicted_minibatch_variance(1.0, 2.5, 10), "batch_size"),
    ("predicted n 1", lambda: predicted_minibatch_variance(1.0, 1, 1), "n"),
    ("predicted sigma2 -1", lambda: predicted_minibatch_variance(-1.0, 2, 10), "sigma2"),
    # ------------------------------------------------------------------ data
    ("spirals 2.5 (was TypeError)", lambda: spirals(2.5, rng=rng()), "n_per_class"),
    ("spirals one class", lambda: spirals(10, n_classes=1, rng=rng()), "n_classes"),
    ("spirals noise -1", lambda: spirals(10, noise=-1.0, rng=rng()), "noise"),
    ("spirals rng None", lambda: spirals(10, rng=None), "rng"),
    ("load_digits no training rows",
     lambda: load_digits(val_fraction=0.5, test_fraction=0.45), "val_fraction"),
    ("load_digits val_fraction 1", lambda: load_digits(val_fraction=1.0), "val_fraction"),
    ("load_digits test_fraction -0.1", lambda: load_digits(test_fraction=-0.1), "test_fraction"),
    ("load_digits seed -1", lambda: load_digits(seed=-1), "seed"),
    ("gaussian_inputs n 0", lambda: gaussian_inputs(0, 3, rng=rng()), "n"),
    ("gaussian_inputs d 2.5", lambda: gaussian_inputs(3, 2.5, rng=rng()), "d"),
    ("gaussian_inputs 80 GB", lambda: gaussian_inputs(10**6, 10**4, rng=rng()), "n x d"),
    ("gaussian_inputs variance nan",
     lambda: gaussian_inputs(3, 3, variance=math.nan, rng=rng()), "variance"),
    # ------------------------------------------------------------------ regularization
    ("dropout p '0.5' (was numpy TypeError)", lambda: dropout(X, "0.5", rng=rng()), "p"),
    ("dropout p 1", lambda: dropout(X, 1.0, rng=rng()), "p"),
    ("dropout rng None", lambda: dropout(X, 0.5, rng=None), "rng"),
    ("dropout_mask rng None", lambda: dropout_mask((3,), 0.5, rng=None), "rng"),
    ("draw_masks n_rows 0", lambda: draw_masks(NET, 0, rng=rng()), "n_rows"),
    ("draw_masks net a list", lambda: draw_masks([4, 5, 3], 2, rng=rng()), "net"),
    ("thinned_average K 0", lambda: thinned_average(NET, X, 0, rng=rng()), "K"),
    ("thinned_average K 10**9", lambda: thinned_average(NET, X, 10**9, rng=rng()), "K"),
    ("thinned_average per_row 'no'",
     lambda: thinned_average(NET, X, 2, rng=rng(), per_row="no"), "per_row"),
    ("ensemble_distances Ks [0]",
     lambda: ensemble_distances(NET, X, [0], K_ref=4, rng=rng()), "Ks[0]"),
    ("ensemble_distances K_ref 0",
     lambda: ensemble_distances(NET, X, [1], K_ref=0, rng=rng()), "K_ref"),
    ("knockout layer 0", lambda: knockout_damage(NET, X, Y, layer=0), "layer"),
    ("knockout label 3", lambda: knockout_damage(NET, X, Y + 1), "y"),
    ("plain_to_inverted p 1", lambda: plain_to_inverted(NET.params, [1.0]), "p"),
    ("plain_to_inverted ps a number", lambda: plain_to_inverted(NET.params, 0.5), "ps"),
    ("sgd_same_masks eta 0", lambda: sgd_same_masks(NET, NET, X, Y, eta=0.0, epochs=1,
                                                    batch_size=2, rng=rng()), "eta"),
    ("training_score_mean M 1", lambda: training_score_mean(NET, X, 1, rng=rng()), "M"),
    ("distance_from_start lengths",
     lambda: distance_from_start(NET.params, NET.params[:1]), "start"),
    ("dropout_forward inverted 'no'",
     lambda: dropout_forward(NET, X, inverted="no"), "inverted"),
    ("thinned_weights masks short", lambda: thinned_weights(NET.params, [None]), "masks"),
    # ------------------------------------------------------------------ checks
    ("numerical_gradient of a float", lambda: numerical_gradient(lambda: 0.0, 1.5), "w"),
    ("numerical_gradient h 0", lambda: numerical_gradient(lambda: 0.0, np.zeros(2), h=0.0), "h"),
    ("numerical_gradient f a number", lambda: numerical_gradient(0.0, np.zeros(2)), "f"),
    # ------------------------------------------------------------------ over the limits
    ("fit one image for 999,999 epochs (was 100 s)",
     lambda: train(X_train=X[:1], y_train=Y[:1], epochs=999_999, batch_size=1), "epochs"),
    ("fit 10**12 multiply-adds", lambda: fit(MLP([4, 2000, 2000, 3], rng=rng()), SGD(0.1),
                                             np.zeros((5000, 4)), np.zeros(5000, int), X, Y,
                                             epochs=200, batch_size=5000, rng=rng()), "epochs"),
    ("fit eta set to nan afterwards (was 'diverged'): refused at the assignment",
     lambda: train(optimizer=nan_eta_afterwards()), "eta"),
    ("momentum_map 5000 x 5000 (was 1.9 GiB)",
     lambda: momentum_map(np.logspace(-3, 1, 5000), np.linspace(0, .99, 5000), steps=2),
     "betas x etas"),
    ("train_many 25,000 seeds (was MemoryError)",
     lambda: train_many("SGD", DIGITS, etas=0.1, seeds=np.arange(25_000), epochs=1),
     "networks"),
    # ------------------------------------------------------------------ variance (helpers)
    ("predicted_forward sigmoid (was ReLU)", lambda: forward_variance(activation="sigmoid"),
     "activation"),
    ("predicted_forward var_x0 -1 (was negative)", lambda: forward_variance(var_x0=-1.0),
     "var_x0"),
    ("predicted_forward too few widths (was IndexError)",
     lambda: forward_variance(widths=[4, 4]), "widths"),
    ("predicted_backward no layers (was IndexError)",
     lambda: predicted_backward_variance(1.0, [64, 10], [], "tanh"), "weight_variances"),
    ("predicted_backward variance nan",
     lambda: predicted_backward_variance(1.0, [4, 4], [math.nan], "tanh"),
     "weight_variances[0]"),
    ("mlp_with_weight_variances strings",
     lambda: mlp_with_weight_variances([4, 3], "0.5", activation="tanh", rng=rng()),
     "variances"),
    ("mlp_with_weight_variances a generator of strings",
     lambda: mlp_with_weight_variances([4, 3], (str(v) for v in [0.5]), activation="tanh",
                                       rng=rng()), "variances[0]"),
    ("mlp_with_weight_variances one too many",
     lambda: mlp_with_weight_variances([4, 3], [0.5, 0.5], activation="tanh", rng=rng()),
     "variances"),
    # ------------------------------------------------------------------ momentum, sweeps
    ("tuned_momentum mu > L (was a negative rate)", lambda: tuned_momentum(20, 1), "mu"),
    ("tuned_momentum mu 0 (was ZeroDivisionError)", lambda: tuned_momentum(0, 20), "mu"),
    ("momentum_eta_limit beta 1 (was inf)", lambda: momentum_eta_limit(1.0, 20), "beta"),
    ("momentum_eta_limit curvature 0", lambda: momentum_eta_limit(0.5, 0), "curvature"),
    ("best_eta NaN row (was its eta)",
     lambda: best_eta([0.1, 1], [[math.nan, math.nan], [.5, .6]]), "losses"),
    ("best_eta losses of another shape", lambda: best_eta([0.1, 1], [[0.5, 0.6]]), "losses"),
    ("momentum_map eta nan (was NaN)", lambda: momentum_map([0.1, math.nan], [0.5]), "etas"),
    ("momentum_map beta 1", lambda: momentum_map([0.1], [1.0]), "betas"),
    ("lr_sweeps config a string (was a raw error)",
     lambda: lr_sweeps({"SGD": "SGD"}, DIGITS, [0.1], [0], epochs=1), "configs['SGD']"),
    ("lr_sweeps rule nope",
     lambda: lr_sweeps({"x": ("nope", 0.0)}, DIGITS, [0.1], [0], epochs=1),
     "configs['x'] rule"),
    ("train_many seed -1", lambda: train_many("SGD", DIGITS, etas=0.1, seeds=[-1], epochs=1),
     "seed"),
    # ------------------------------------------------------------------ studies over seeds
    ("cosine_by_layer one row (was NaN)",
     lambda: cosine_by_layer(X16[:1], [2 / 16] * 3, depth=3, width=16), "x0"),
    ("cosine_by_layer 3 variances for depth 10 (said 'got 4')",
     lambda: cosine_by_layer(X16, [2 / 16] * 3, depth=10, width=16), "weight_variances"),
    ("init_training_curves kinds 'xavier' (said 'got x')", lambda: curves(kinds="xavier"),
     "kinds"),
    ("init_training_curves kind kaiming", lambda: curves(kinds=["kaiming"]), "kinds[0]"),
    ("init_training_curves seed -1", lambda: curves(seeds=[-1]), "seeds[0]"),
    ("layer_statistics wrong-width x0 (named X)",
     lambda: layer_statistics([4, 3, 2], [0.5, 0.5], np.ones((3, 5)), activation="tanh",
                              seed=0), "x0"),
    ("saturation_study layer 5 of depth 3 (was KeyError)",
     lambda: saturation_study(DX, DY, 1.0, depth=3, width=8, layers=(1, 5)), "layers[1]"),
    ("seed_spread of strings", lambda: seed_spread(["a", "b"]), "values"),
    ("seed_spread of one value", lambda: seed_spread([1.0]), "values"),
    ("distinct_units no columns (was a raw error)", lambda: distinct_units(np.zeros((64, 0))),
     "W"),
    ("dropout_runs p 1", lambda: drop_runs(ps=[0.0, 1.0]), "ps[1]"),
    ("dropout_runs seed 1.5", lambda: drop_runs(seeds=[1.5]), "seeds[0]"),
    # ------------------------------------------------------------------ the quiz
    ("Question answer 1.5 (was unanswerable)", lambda: question(answer=1.5), "answer"),
    ("Question answer True", lambda: question(answer=True), "answer"),
    ("Question options a string", lambda: question(options="ab"), "options"),
    ("Question one option", lambda: question(options=("a",)), "options"),
    ("Quiz of one Question (was a raw error)", lambda: Quiz(question()), "questions"),
    ("Quiz of strings", lambda: Quiz(["what?"]), "questions[0]"),
    ("Quiz title 3 (was a raw error)", lambda: Quiz([question()], title=3), "title"),
]


def test_the_table_is_large_and_names_are_unique():
    assert len(CASES) >= 190
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(("call", "parameter"), [pytest.param(c, p, id=i) for i, c, p in CASES])
def test_bad_input_is_a_value_error_naming_the_parameter_at_once(call, parameter):
    started = time.process_time()
    with pytest.raises(ValueError) as info:
        call()
    cpu = time.process_time() - started
    named = re.search(rf"(?<![\w.]){re.escape(parameter)}(?!\w)", str(info.value))
    assert named, f"the message does not name {parameter!r}: {info.value}"
    assert cpu < REFUSAL_CPU_S, f"refused after {cpu:.2f} s of CPU: the check came after work"


def test_iterators_are_read_once_and_used_whole():
    """Issue 20's silently wrong iterators: seeds=iter(...) gave the runs of the first p only;
    a generator of values was a raw numpy error. Both are read once, at the top."""
    histories, _ = drop_runs(seeds=iter(range(2)))
    assert sorted(histories) == [(0.0, 0), (0.0, 1), (0.5, 0), (0.5, 1)]
    spread = seed_spread(v for v in [1.0, 2.0, 3.0])
    assert spread.mean == 2.0 and spread.std == 1.0
