"""Torch modules: what is computed. The sklearn side lives in the estimator modules.

Every module takes flat inputs ``(B, C*H*W)`` (the sklearn layout), reshapes them to
``image_shape`` and zero-pads height and width to a multiple of 4 so that the two 2x2
poolings of the seed-0 networks always divide evenly. A 28x28 MNIST image needs no padding;
a 1x1x5 table row (as fed by sklearn's estimator checks) becomes a 1x4x8 image.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

POOLING = 4  # two 2x2 max-poolings


def padded_shape(image_shape):
    """Shape ``(C, H, W)`` of an image after padding H and W up to a multiple of 4."""
    c, h, w = image_shape
    return c, POOLING * math.ceil(h / POOLING), POOLING * math.ceil(w / POOLING)


def to_padded_images(x, image_shape):
    """Reshape flat ``(B, C*H*W)`` inputs to images and zero-pad them (right and bottom)."""
    c, h, w = image_shape
    _, ph, pw = padded_shape(image_shape)
    images = x.reshape(-1, c, h, w)
    return F.pad(images, (0, pw - w, 0, ph - h)) if (ph, pw) != (h, w) else images


def conv_pool_layers(in_channels, channels):
    """3x3 convolution (same size), ReLU and 2x2 max pooling per entry of ``channels``."""
    layers = []
    for out_channels in channels:
        layers += [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        in_channels = out_channels
    return layers


class ConvAE(nn.Module):
    """Seed-0 convolutional autoencoder.

    Encoder: conv(1->8) ReLU, maxpool, conv(8->4) ReLU, maxpool -> code (B, 4, 7, 7).
    Decoder: conv(4->4) ReLU, upsample, conv(4->8) ReLU, upsample, conv(8->1).
    The output layer is linear, as in the seed (trained with MSE on [0, 1] pixels).
    """

    def __init__(self, image_shape=(1, 28, 28), channels=(8, 4)):
        super().__init__()
        self.image_shape = tuple(image_shape)
        in_ch, (c1, c2) = self.image_shape[0], channels
        self.encoder = nn.Sequential(*conv_pool_layers(in_ch, channels))  # (B, c2, H/4, W/4)
        self.decoder = nn.Sequential(
            nn.Conv2d(c2, c2, 3, padding=1),
            nn.ReLU(),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(c2, c1, 3, padding=1),
            nn.ReLU(),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(c1, in_ch, 3, padding=1),  # (B, C, H, W) padded
        )
        _, h, w = padded_shape(self.image_shape)
        self.code_shape = (c2, h // POOLING, w // POOLING)

    def encode(self, x):
        """Flat inputs -> code feature maps (B, c2, H/4, W/4)."""
        return self.encoder(to_padded_images(x, self.image_shape))

    def decode(self, code):
        """Code feature maps -> flat reconstructions (B, C*H*W), padding cropped."""
        c, h, w = self.image_shape
        return self.decoder(code)[:, :, :h, :w].reshape(len(code), c * h * w)

    def forward(self, x):
        code = self.encode(x)
        return self.decode(code), code


def _halved(size, times):
    """Spatial size after ``times`` stride-2 convolutions with padding 1: ceil-halving."""
    for _ in range(times):
        size = (size + 1) // 2
    return size


class DenseConvAE(nn.Module):
    """Seed-1 autoencoder: 3 stride-2 convolutions, then 2 fully connected layers to the code.

    Encoder: conv(C->8) conv(8->16) conv(16->32), each 3x3 stride 2 + ReLU + dropout, flatten,
    linear(->64) ReLU dropout, linear(->latent_dim) with no activation. The decoder mirrors it
    with transposed convolutions and ends in a sigmoid (pixels in [0, 1]); its output is
    cropped to the image size (28 -> 14 -> 7 -> 4 on the way down, 4 -> 32 on the way up).

    With ``variational=True`` a second copy of the fully connected segment outputs
    log sigma^2 beside mu (the VAE); ``forward`` then samples the code while training.
    """

    def __init__(
        self,
        image_shape=(1, 28, 28),
        channels=(8, 16, 32),
        hidden_units=64,
        latent_dim=33,
        dropout=0.0,
        variational=False,
    ):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.code_shape = (latent_dim,)
        self.variational = variational
        in_ch, (_, h, w) = self.image_shape[0], self.image_shape
        widths = (in_ch, *channels)
        self.grid = (channels[-1], _halved(h, len(channels)), _halved(w, len(channels)))
        flat = math.prod(self.grid)

        def block(layer):
            return [layer, nn.ReLU(), nn.Dropout(dropout)]

        def fc_segment():
            hidden = block(nn.Linear(flat, hidden_units))
            return nn.Sequential(*hidden, nn.Linear(hidden_units, latent_dim))

        self.conv = nn.Sequential(
            *(m for a, b in zip(widths, widths[1:]) for m in block(nn.Conv2d(a, b, 3, 2, 1))),
            nn.Flatten(),
        )
        self.to_mu = fc_segment()
        self.to_log_var = fc_segment() if variational else None
        self.from_code = nn.Sequential(
            *block(nn.Linear(latent_dim, hidden_units)), *block(nn.Linear(hidden_units, flat))
        )
        up = widths[::-1]
        deconvs = [nn.ConvTranspose2d(a, b, 3, 2, 1, 1) for a, b in zip(up, up[1:])]
        self.deconv = nn.Sequential(
            *(m for layer in deconvs[:-1] for m in block(layer)), deconvs[-1], nn.Sigmoid()
        )

    def encode_distribution(self, x):
        """Flat inputs -> (mu, log sigma^2), each (B, latent_dim); no log sigma^2 if not a VAE."""
        features = self.conv(x.reshape(-1, *self.image_shape))
        log_var = self.to_log_var(features) if self.variational else None
        return self.to_mu(features), log_var

    def encode(self, x):
        """Flat inputs -> code (B, latent_dim): the mean mu for a VAE, so it is deterministic."""
        return self.encode_distribution(x)[0]

    def decode(self, code):
        """Code (B, latent_dim) -> flat reconstructions (B, C*H*W) in [0, 1]."""
        c, h, w = self.image_shape
        images = self.deconv(self.from_code(code).reshape(-1, *self.grid))
        return images[:, :, :h, :w].reshape(len(code), c * h * w)

    def forward(self, x):
        mu, log_var = self.encode_distribution(x)
        if not self.variational:
            return self.decode(mu), mu
        code = mu
        if self.training:  # reparameterisation: z = mu + sigma * eps
            code = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        return self.decode(code), (mu, log_var)


class SmallCNN(nn.Module):
    """Seed-0 CNN: conv(1->5) ReLU, maxpool, conv(5->5) ReLU, maxpool, dropout, linear.

    Returns logits; the softmax belongs to the loss (the seed applied it twice).
    """

    def __init__(self, image_shape=(1, 28, 28), n_classes=10, channels=(5, 5), dropout=0.2):
        super().__init__()
        self.image_shape = tuple(image_shape)
        c, h, w = padded_shape(self.image_shape)
        _, c2 = channels  # two blocks, as POOLING assumes
        self.features = nn.Sequential(
            *conv_pool_layers(c, channels),  # (B, c2, H/4, W/4)
            nn.Flatten(),
            nn.Dropout(dropout),
        )
        self.classifier = nn.Linear(c2 * (h // POOLING) * (w // POOLING), n_classes)

    def embed(self, x):
        """The features the linear layer classifies (flattened pooled maps)."""
        return self.features(to_padded_images(x, self.image_shape))

    def forward(self, x):
        return self.classifier(self.embed(x))


class MLPHead(nn.Module):
    """Linear classifier, or an MLP when ``hidden_units`` is not empty; returns logits."""

    def __init__(self, n_features, n_classes, hidden_units=()):
        super().__init__()
        layers, width = [], n_features
        for units in hidden_units:
            layers += [nn.Linear(width, units), nn.ReLU()]
            width = units
        self.layers = nn.Sequential(*layers, nn.Linear(width, n_classes))

    def forward(self, x):
        return self.layers(x)


class EncoderHead(nn.Module):
    """An autoencoder module whose encoder feeds a head: the fine-tunable classifier.

    The whole autoencoder module is built (``encoder_class(**encoder_params)``) so that
    pretrained weights load by name; only its ``encode`` runs, so the decoder gets no
    gradient and never changes.
    """

    def __init__(self, encoder_class, encoder_params, n_classes, hidden_units=()):
        super().__init__()
        self.encoder = encoder_class(**encoder_params)
        self.head = MLPHead(math.prod(self.encoder.code_shape), n_classes, hidden_units)

    def forward(self, x):
        return self.head(self.encoder.encode(x).flatten(1))
