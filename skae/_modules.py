"""Torch modules: what is computed. The sklearn side lives in the estimator modules.

Every module takes flat inputs ``(B, C*H*W)`` (the sklearn layout), reshapes them to
``image_shape`` and zero-pads height and width to a multiple of 4 so that the two 2x2
poolings of the seed-0 networks always divide evenly. A 28x28 MNIST image needs no padding;
a 1x1x5 table row (as fed by sklearn's estimator checks) becomes a 1x4x8 image.
"""

import math

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
        self.encoder = nn.Sequential(
            nn.Conv2d(in_ch, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, c1, H/2, W/2)
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, c2, H/4, W/4)
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(c2, c2, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(c2, c1, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(c1, in_ch, 3, padding=1),  # (B, C, H, W) padded
        )

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


class SmallCNN(nn.Module):
    """Seed-0 CNN: conv(1->5) ReLU, maxpool, conv(5->5) ReLU, maxpool, dropout, linear.

    Returns logits; the softmax belongs to the loss (the seed applied it twice).
    """

    def __init__(self, image_shape=(1, 28, 28), n_classes=10, channels=(5, 5), dropout=0.2):
        super().__init__()
        self.image_shape = tuple(image_shape)
        c, h, w = padded_shape(self.image_shape)
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(c, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, c1, H/2, W/2)
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, c2, H/4, W/4)
            nn.Flatten(),
            nn.Dropout(dropout),
        )
        self.classifier = nn.Linear(c2 * (h // POOLING) * (w // POOLING), n_classes)

    def forward(self, x):
        return self.classifier(self.features(to_padded_images(x, self.image_shape)))


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
