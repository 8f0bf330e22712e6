"""PyTorch CPU reference for `pnpm bench:train`: trains the DropBlock report's CustomNet (three stages of
[Conv3x3 same + ReLU + BN] x2 + MaxPool2, filters 32/64/128, Flatten, Dense 10; 309,290 parameters) with Adam on
random 32x32x3 batches and prints one JSON line {"imagesPerSecond": ..., "threads": ..., "torch": ...}.

Usage: python3 train_customnet.py [--batch 64] [--steps 20] [--warmup 3] [--threads 2]
"""
import argparse
import json
import time

import torch
from torch import nn


def custom_net(num_classes: int = 10) -> nn.Sequential:
    layers = []
    in_ch = 3
    for filters in (32, 64, 128):
        for _ in range(2):
            # Same layer order as the Keras model: Conv (with bias) -> ReLU -> BatchNorm.
            layers += [nn.Conv2d(in_ch, filters, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01)]
            in_ch = filters
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(128 * 4 * 4, num_classes)]
    return nn.Sequential(*layers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = custom_net()
    # Keras counts BatchNorm's moving mean/variance as (non-trainable) parameters; PyTorch keeps them as buffers.
    params = sum(p.numel() for p in model.parameters()) + sum(
        b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    assert params == 309_290, params
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()  # softmax + categorical cross-entropy, as the Keras model's loss
    x = torch.randn(args.batch, 3, 32, 32)
    y = torch.randint(0, 10, (args.batch,))
    model.train()

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    elapsed = time.perf_counter() - start
    print(json.dumps({
        "imagesPerSecond": args.batch * args.steps / elapsed,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "params": params,
    }))


if __name__ == "__main__":
    main()
