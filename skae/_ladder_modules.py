"""Torch modules of the ladder network (Rasmus et al. 2015, "Semi-Supervised Learning with
Ladder Networks"): what is computed. The estimator lives in ``_ladder.py``.

One encoder computes both passes: the clean one (targets and statistics) and the corrupted
one (Gaussian noise on the input and on every normalised pre-activation). The decoder walks
down from the top; at each layer the vanilla combinator ``g`` denoises the corrupted
pre-activation ``z~`` given the estimate from above ``u``; the denoising cost of a layer is
the squared distance of the estimate, normalised with the clean pass's batch statistics, to
the clean pre-activation. As in the reference implementation (CuriousAI/ladder), each batch
is a labeled part and an unlabeled ("pool") part normalised separately, the decoder runs on
the pool part, and the running statistics used at inference follow the clean labeled part.
"""

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

EPS = 1e-5  # variance floor of every normalisation (the reference: 1e-10)
MIN_SIDE = 8  # smallest height / width the convolutional encoder reduces to at least 1x1
CONV_DEPTH = 9  # layers of conv_layers


def standardize(z):
    """``z`` (B, m) or (B, C, H, W) normalised per feature (channel) by its batch mean and
    biased variance; returns ``(normalised, mean, var)``. Two passes: faster on CPUs than
    ``torch.var_mean``."""
    dims = [0, *range(2, z.dim())]
    mean = z.mean(dim=dims, keepdim=True)
    centred = z - mean
    var = centred.square().mean(dim=dims, keepdim=True)
    return centred * torch.rsqrt(var + EPS), mean, var


def normalize(z, mean, var):
    return (z - mean) * torch.rsqrt(var + EPS)


def gaussian_like(z):
    """Standard normal noise of ``z``'s shape and memory layout: drawn contiguous and then
    viewed channels last for channels-last maps (``randn_like`` fills those 6x slower)."""
    if z.dim() == 4 and z.is_contiguous(memory_format=torch.channels_last):
        n, c, h, w = z.shape
        return torch.randn(n, h, w, c, dtype=z.dtype, device=z.device).permute(0, 3, 1, 2)
    return torch.randn_like(z)


class SplitBatchNorm(nn.Module):
    """Batch normalisation without scale or shift; each part of a batch by its own statistics.

    Training: every part (``sizes``: labeled rows, then pool rows) is normalised with its own
    mean and variance; ``track`` updates the running averages (momentum 0.1, unbiased
    variance) with the first part's. Evaluation: the running averages. Statistics are
    computed in float32 whatever the autocast dtype of ``z``.
    """

    def __init__(self, n_features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("running_mean", torch.zeros(n_features))
        self.register_buffer("running_var", torch.ones(n_features))

    def forward(self, z, sizes=None, track=False):
        """``(normalised z, [(mean, var) of each part])``; no statistics in evaluation."""
        z = z.float()
        if not self.training:
            shape = (1, -1) + (1,) * (z.dim() - 2)
            return normalize(z, self.running_mean.view(shape), self.running_var.view(shape)), []
        parts = z.split(list(sizes)) if sizes else [z]
        normalised, stats = [], []
        for part in parts:
            out, mean, var = standardize(part)
            normalised.append(out)
            stats.append((mean, var))
        if track:
            self._track(*stats[0], count=parts[0].numel() // z.shape[1])
        return torch.cat(normalised) if len(normalised) > 1 else normalised[0], stats

    @torch.no_grad()
    def _track(self, mean, var, count):
        unbiased = var.flatten() * count / max(count - 1, 1)
        self.running_mean.lerp_(mean.flatten(), self.momentum)
        self.running_var.lerp_(unbiased, self.momentum)


class GlobalMeanPool(nn.Module):
    """Mean over height and width: (B, C, H, W) -> (B, C)."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class LadderLayer(nn.Module):
    """One encoder layer: ``z = BN(transform(h)) (+ noise)``, ``h' = act(gamma * (z + beta))``.

    ``beta`` (a per-unit shift) for every layer with a nonlinearity, ``gamma`` (a scale) only
    on the softmax layer: a ReLU needs no scale, and the pooling layers are linear (the
    paper's Section 3 and the reference code). The softmax layer returns its logits.
    """

    def __init__(self, transform, n_features, activation):
        super().__init__()
        self.transform = transform
        self.norm = SplitBatchNorm(n_features)
        self.activation = activation
        linear = activation == "linear"
        self.beta = None if linear else nn.Parameter(torch.zeros(n_features))
        self.gamma = nn.Parameter(torch.ones(n_features)) if activation == "softmax" else None

    def forward(self, h, sizes=None, noise_std=0.0, track=False):
        """``(z, h', stats)``: the (noisy) normalised pre-activation, the output, the statistics."""
        z, stats = self.norm(self.transform(h), sizes, track)
        if noise_std > 0:
            z = z + noise_std * gaussian_like(z)
        return z, self.activate(z), stats

    def activate(self, z):
        shape = (1, -1) + (1,) * (z.dim() - 2)  # per unit, or per channel of a map
        out = z if self.beta is None else z + self.beta.view(shape)
        out = out if self.gamma is None else out * self.gamma.view(shape)
        return F.relu(out) if self.activation == "relu" else out


class Combinator(nn.Module):
    """The paper's vanilla combinator ``g(z~, u)``, 10 parameters per unit (its Eq. 2):

    ``mu = a1 sigmoid(a2 u + a3) + a4 u + a5``, ``v = a6 sigmoid(a7 u + a8) + a9 u + a10``,
    ``z^ = (z~ - mu) v + mu``. Initialised as the reference: ``a2 = a7 = 1``, the rest 0.
    """

    def __init__(self, n_features):
        super().__init__()
        a = torch.zeros(10, n_features)
        a[[1, 6]] = 1.0
        self.a = nn.Parameter(a)

    def forward(self, z_noisy, u):
        a = self.a
        mu = a[0] * torch.sigmoid(a[1] * u + a[2]) + a[3] * u + a[4]
        v = a[5] * torch.sigmoid(a[6] * u + a[7]) + a[8] * u + a[9]
        return (z_noisy - mu) * v + mu


class LayerState(NamedTuple):
    z: torch.Tensor  # normalised (noisy) pre-activation; the input itself at layer 0
    h: torch.Tensor  # the layer's output (logits at the top)
    stats: list  # [(mean, var)] of each part of the batch; [] at layer 0 and in evaluation


def fc_layers(n_features, hidden_units, n_classes):
    """The fully connected encoder: ReLU layers of ``hidden_units``, then the softmax layer."""
    widths = (n_features, *hidden_units, n_classes)
    acts = ["relu"] * len(hidden_units) + ["softmax"]
    return [
        LadderLayer(nn.Linear(a, b, bias=False), b, act)
        for a, b, act in zip(widths, widths[1:], acts)
    ]


def conv_layers(in_channels, channels, n_classes):
    """The paper's Conv-Small encoder for MNIST (its Table 4 and the reference's command line).

    5x5 "full" convolution (padding 4), 2x2 max-pool, 3x3 "valid", 3x3 "full", 2x2 max-pool,
    3x3 "valid", 1x1 to ``n_classes`` maps, global mean pool, fully connected softmax layer;
    each followed by the normalisation (and noise). 28x28 -> 32 -> 16 -> 14 -> 16 -> 8 -> 6.
    """
    c1, c2, c3, c4 = channels

    def conv(a, b, size, full=False):
        padding = size - 1 if full else 0
        return LadderLayer(nn.Conv2d(a, b, size, padding=padding, bias=False), b, "relu")

    return [
        conv(in_channels, c1, 5, full=True),
        LadderLayer(nn.MaxPool2d(2), c1, "linear"),
        conv(c1, c2, 3),
        conv(c2, c3, 3, full=True),
        LadderLayer(nn.MaxPool2d(2), c3, "linear"),
        conv(c3, c4, 3),
        conv(c4, n_classes, 1),
        LadderLayer(GlobalMeanPool(), n_classes, "linear"),
        LadderLayer(nn.Linear(n_classes, n_classes, bias=False), n_classes, "softmax"),
    ]


class LadderNetwork(nn.Module):
    """The ladder network: encoder layers, and a decoder at the layers that have one.

    ``architecture="fc"``: the paper's fully connected network (``hidden_units``, default
    784-1000-500-250-250-250-10), a combinator at every layer, the input (layer 0) included.
    ``architecture="conv"``: Conv-Small as a Gamma-model, a combinator at the top layer only.
    Inputs are flat ``(B, C*H*W)`` rows; the convolutional encoder reshapes them to
    ``image_shape`` and zero-pads images smaller than 8x8 (right and bottom).

    ``forward(x)`` returns the clean pass's logits (B, n_classes). In training, with the
    ``labeled`` mask of the batch, it returns the corrupted pass's logits (B, n_classes) and
    the denoising cost of each layer (L + 1,), input first; see :meth:`ladder`.
    """

    def __init__(
        self,
        n_features,
        n_classes,
        architecture="fc",
        image_shape=None,
        hidden_units=(1000, 500, 250, 250, 250),
        channels=(32, 64, 64, 128),
    ):
        super().__init__()
        self.architecture = architecture
        self.image_shape = tuple(image_shape) if image_shape is not None else (1, 1, n_features)
        if architecture == "fc":
            layers = fc_layers(n_features, hidden_units, n_classes)
            widths = (n_features, *hidden_units, n_classes)
            decoded = range(len(layers) + 1)
        else:
            layers = conv_layers(self.image_shape[0], channels, n_classes)
            widths, decoded = None, [len(layers)]  # Gamma-model: the top layer only
        self.layers = nn.ModuleList(layers)
        top = len(layers)
        self.decoded = tuple(decoded)
        width = (lambda k: widths[k]) if widths else (lambda k: n_classes)
        self.combinators = nn.ModuleDict({str(k): Combinator(width(k)) for k in decoded})
        self.vertical = nn.ModuleDict(  # V: the estimate of layer k+1 mapped down to layer k
            {str(k): nn.Linear(width(k + 1), width(k), bias=False) for k in decoded if k < top}
        )
        self._init_weights()
        if architecture == "conv":  # maps stay channels last: faster CPU convolutions, pooling
            self.to(memory_format=torch.channels_last)

    def _init_weights(self):
        """The reference's initialisation: variance 1 / fan-in (normal for fully connected
        weights, uniform for convolutions)."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=1 / math.sqrt(module.in_features))
            elif isinstance(module, nn.Conv2d):
                bound = math.sqrt(3 / (module.weight[0].numel()))
                nn.init.uniform_(module.weight, -bound, bound)

    def to_input(self, x):
        """Flat rows for the fully connected encoder; (padded) images for the convolutional one."""
        if self.architecture == "fc":
            return x
        c, h, w = self.image_shape
        images = x.reshape(-1, c, h, w)
        pad_h, pad_w = max(MIN_SIDE - h, 0), max(MIN_SIDE - w, 0)
        images = F.pad(images, (0, pad_w, 0, pad_h)) if pad_h or pad_w else images
        return images.contiguous(memory_format=torch.channels_last)

    def encode(self, x, sizes=None, noise_std=0.0, track=False):
        """Every layer's state, the input's first; noise of ``noise_std`` when > 0."""
        if noise_std > 0:
            x = x + noise_std * gaussian_like(x)
        states, h = [LayerState(x, x, [])], x
        for layer in self.layers:
            z, h, stats = layer(h, sizes, noise_std, track)
            states.append(LayerState(z, h, stats))
        return states

    def forward(self, x, labeled=None, noise_std=0.0, denoising_costs=None):
        if labeled is None or not self.training:
            return self.encode(self.to_input(x))[-1].h
        return self.ladder(x, labeled, noise_std, denoising_costs)

    def ladder(self, x, labeled, noise_std, denoising_costs):
        """Training pass: ``(noisy logits (B, K), denoising costs (L + 1,))``.

        The labeled rows and the pool rows are normalised apart (the rows are regrouped
        and the logits returned in the order of ``x``). Without a positive denoising weight,
        only the labeled rows are computed (the pool rows' logits are 0).
        """
        weights = tuple(denoising_costs or ())
        denoise = any(w > 0 for w in weights)
        order = torch.argsort((~labeled).to(torch.int8), stable=True)  # labeled rows first
        n_labeled = int(labeled.sum())
        x = self.to_input(x[order] if denoise else x[order[:n_labeled]])
        sizes = (n_labeled, len(x) - n_labeled) if denoise else None
        with torch.set_grad_enabled(denoise and torch.is_grad_enabled()):
            clean = self.encode(x, sizes, track=True)  # statistics, targets
        noisy = self.encode(x, sizes, noise_std)
        if denoise:
            costs = self.denoising_costs(clean, noisy, n_labeled, weights)
        else:
            costs = torch.zeros(len(self.layers) + 1, device=x.device)
        logits = noisy[-1].h.float()
        out = logits.new_zeros(len(order), logits.shape[1])
        out[order[: len(logits)]] = logits
        return out, costs

    def denoising_costs(self, clean, noisy, n_labeled, weights):
        """Each layer's mean squared distance between the decoder's estimate, normalised with
        the clean pool statistics, and the clean pre-activation (0 below the lowest layer
        with a positive weight, and where the weight is 0 below a decoded layer)."""
        top = len(self.layers)
        lowest = min(k for k, w in enumerate(weights) if w > 0)
        costs = [torch.zeros((), device=clean[0].z.device)] * (top + 1)
        estimate = None
        for k in range(top, lowest - 1, -1):
            if k == top:
                u = noisy[top].h[n_labeled:].float().softmax(dim=1)
            else:
                u = self.vertical[str(k)](estimate)
            u = standardize(u.float())[0]
            estimate = self.combinators[str(k)](noisy[k].z[n_labeled:].float(), u)
            target = clean[k].z[n_labeled:].float()
            normalised = normalize(estimate, *clean[k].stats[1]) if k > 0 else estimate
            costs[k] = (normalised - target).pow(2).mean()
        return torch.stack(costs)
