#!/usr/bin/python3
"""PyTorch 1.13 side of the README's distill-vs-PyTorch comparison (same network, same workload).

  train  mirrors `distill bench train`: ConvNet-3 (width 128, instance norm, avg pooling) SGD
         steps (lr 0.01, mean cross-entropy) on standard-normal 32x32x3 images, random labels.
  tm     mirrors `distill bench tm` (benchmarks/common/tm_workload.hpp): N SGD steps of a student
         from theta_0 on DSA-augmented minibatches of 10*ipc synthetic images, unrolled with
         create_graph=True as the MTT code does, L = |theta_N - theta*|^2 / |theta_0 - theta*|^2,
         then L.backward() to the images and the step size.

Run with Debian's interpreter (a pyenv `python3` on PATH may lack torch), e.g.
  /usr/bin/python3 scripts/pytorch_reference.py train --batch 256 --images 2560
  /usr/bin/python3 scripts/pytorch_reference.py tm --ipc 1 --syn-steps 50 --batch-syn 10 --iterations 3
Prints key=value lines like the C++ programs. Draws come from torch's generator (--seed): the
same workload as the C++ one, not the same values.
"""
import argparse
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

WIDTH, DEPTH, CLASSES = 128, 3, 10


class ConvNet3(nn.Module):
    """The MTT ConvNet: 3 x (conv 3x3, GroupNorm(128, 128) = "instancenorm", ReLU, avg pool 2)."""

    def __init__(self):
        super().__init__()
        layers, c = [], 3
        for _ in range(DEPTH):
            layers += [nn.Conv2d(c, WIDTH, 3, padding=1), nn.GroupNorm(WIDTH, WIDTH, affine=True),
                       nn.ReLU(inplace=True), nn.AvgPool2d(2, 2)]
            c = WIDTH
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(WIDTH * 4 * 4, CLASSES)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def functional_forward(flat, shapes, x):
    """ConvNet3's forward on slices of one flat vector in named_parameters() order (as MTT's
    ReparamModule; torch.func is not in 1.13)."""
    p, o = [], 0
    for s in shapes:
        n = math.prod(s)
        p.append(flat[o:o + n].view(s))
        o += n
    for b in range(DEPTH):
        w, bias, gamma, beta = p[4 * b:4 * b + 4]
        x = F.conv2d(x, w, bias, padding=1)
        x = F.group_norm(x, WIDTH, gamma, beta, eps=1e-5)
        x = F.avg_pool2d(F.relu(x), 2, 2)
    return F.linear(x.flatten(1), p[12], p[13])


# --- DSA: the DC/DSA/MTT reference ops (utils.py, ParamDiffAug) ---------------------------------
# Our C++ default (DsaConfig{} in include/distill/augment/dsa.hpp) is the reference default:
# strategy color_crop_cutout_flip_scale_rotate in aug_mode "S", i.e. ONE family drawn uniformly
# per call (per minibatch), with fresh per-sample parameters; not all six ops in sequence.
STRATEGY = "color_crop_cutout_flip_scale_rotate"
RATIO_SCALE, RATIO_ROTATE, RATIO_CROP_PAD, RATIO_CUTOUT = 1.2, 15.0, 0.125, 0.5
BRIGHTNESS, SATURATION, CONTRAST, PROB_FLIP = 1.0, 2.0, 0.5, 0.5  # (ratio_noise 0.05 is unused)


def _rand(x, *shape):
    return torch.rand(*shape, dtype=x.dtype)


def rand_brightness(x):
    return x + (_rand(x, x.size(0), 1, 1, 1) - 0.5) * BRIGHTNESS


def rand_saturation(x):
    m = x.mean(dim=1, keepdim=True)
    return (x - m) * (_rand(x, x.size(0), 1, 1, 1) * SATURATION) + m


def rand_contrast(x):
    m = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - m) * (_rand(x, x.size(0), 1, 1, 1) + CONTRAST) + m


def rand_crop(x):  # translation with zero fill, by gathering from a 1-pixel zero pad
    n, _, h, w = x.shape
    sh, sw = int(h * RATIO_CROP_PAD + 0.5), int(w * RATIO_CROP_PAD + 0.5)
    ty = torch.randint(-sh, sh + 1, size=[n, 1, 1])
    tx = torch.randint(-sw, sw + 1, size=[n, 1, 1])
    gb, gy, gx = torch.meshgrid(torch.arange(n), torch.arange(h), torch.arange(w), indexing="ij")
    gy = torch.clamp(gy + ty + 1, 0, h + 1)
    gx = torch.clamp(gx + tx + 1, 0, w + 1)
    x_pad = F.pad(x, [1, 1, 1, 1, 0, 0, 0, 0])
    return x_pad.permute(0, 2, 3, 1).contiguous()[gb, gy, gx].permute(0, 3, 1, 2)


def rand_cutout(x):
    n, _, h, w = x.shape
    ch, cw = int(h * RATIO_CUTOUT + 0.5), int(w * RATIO_CUTOUT + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), size=[n, 1, 1])
    ox = torch.randint(0, w + (1 - cw % 2), size=[n, 1, 1])
    gb, gy, gx = torch.meshgrid(torch.arange(n), torch.arange(ch), torch.arange(cw), indexing="ij")
    gy = torch.clamp(gy + oy - ch // 2, min=0, max=h - 1)
    gx = torch.clamp(gx + ox - cw // 2, min=0, max=w - 1)
    mask = torch.ones(n, h, w, dtype=x.dtype)
    mask[gb, gy, gx] = 0
    return x * mask.unsqueeze(1)


def rand_flip(x):
    return torch.where(_rand(x, x.size(0), 1, 1, 1) < PROB_FLIP, x.flip(3), x)


def _affine(x, a00, a01, a10, a11):
    z = torch.zeros_like(a00)
    theta = torch.stack([torch.stack([a00, a01, z], 1), torch.stack([a10, a11, z], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=True)
    return F.grid_sample(x, grid, align_corners=True)


def rand_scale(x):
    lo = 1.0 / RATIO_SCALE
    sx = _rand(x, x.size(0)) * (RATIO_SCALE - lo) + lo
    sy = _rand(x, x.size(0)) * (RATIO_SCALE - lo) + lo
    return _affine(x, sx, torch.zeros_like(sx), torch.zeros_like(sx), sy)


def rand_rotate(x):
    t = (_rand(x, x.size(0)) - 0.5) * 2 * RATIO_ROTATE / 180 * math.pi
    return _affine(x, torch.cos(t), torch.sin(-t), torch.sin(t), torch.cos(t))


AUGMENT_FNS = {"color": [rand_brightness, rand_saturation, rand_contrast], "crop": [rand_crop],
               "cutout": [rand_cutout], "flip": [rand_flip], "scale": [rand_scale],
               "rotate": [rand_rotate]}


def dsa(x, strategy=STRATEGY):
    """DiffAugment in aug_mode "S": one family per call, per-sample parameters."""
    families = strategy.split("_")
    for f in AUGMENT_FNS[families[torch.randint(0, len(families), size=(1,)).item()]]:
        x = f(x)
    return x.contiguous()


# --- trajectory matching ----------------------------------------------------------------------
def tm_iteration(shapes, theta0, target, images, labels, syn_lr, steps, batch, strategy=STRATEGY):
    """One iteration of the unrolled inner loop and L.backward(); returns L. Minibatches are
    consecutive full chunks of a random permutation, redrawn when fewer than `batch` indices
    remain (as make_unroll_steps in include/distill/methods/trajectory_matching/unroll.hpp; MTT's torch.split would
    also use a short last chunk, which never happens for batch = n or n divisible by batch)."""
    n = images.size(0)
    batch = min(batch, n)
    params = [theta0.clone().requires_grad_(True)]
    perm, nxt = None, n
    for _ in range(steps):
        if nxt + batch > n:
            perm, nxt = torch.randperm(n), 0
        idx = perm[nxt:nxt + batch]
        nxt += batch
        out = functional_forward(params[-1], shapes, dsa(images[idx], strategy))
        ce = F.cross_entropy(out, labels[idx])
        grad = torch.autograd.grad(ce, params[-1], create_graph=True)[0]
        params.append(params[-1] - syn_lr * grad)
    loss = ((params[-1] - target) ** 2).sum() / ((theta0 - target) ** 2).sum()
    loss.backward()
    return loss.item()


def make_tm_workload(ipc, dtype=torch.float32):
    net = ConvNet3().to(dtype)  # PyTorch's default initialisation
    shapes = [tuple(p.shape) for _, p in net.named_parameters()]
    theta0 = torch.cat([p.detach().reshape(-1) for _, p in net.named_parameters()])
    target = theta0 + 0.01 * torch.randn_like(theta0)
    images = torch.randn(10 * ipc, 3, 32, 32, dtype=dtype, requires_grad=True)
    labels = torch.arange(10 * ipc) // ipc
    syn_lr = torch.tensor(0.01, dtype=dtype, requires_grad=True)
    return shapes, theta0, target, images, labels, syn_lr


def run_tm(args):
    shapes, theta0, target, images, labels, syn_lr = make_tm_workload(args.ipc)

    def iteration():
        images.grad, syn_lr.grad = None, None
        return tm_iteration(shapes, theta0, target, images, labels, syn_lr, args.syn_steps,
                            args.batch_syn)

    iteration()  # warm-up
    start = time.perf_counter()
    for _ in range(args.iterations):
        loss = iteration()
    seconds = (time.perf_counter() - start) / args.iterations
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    print(f"framework=pytorch torch={torch.__version__} network=ConvNet-3 width={WIDTH} "
          f"images={images.size(0)} syn_steps={args.syn_steps} "
          f"batch_syn={min(args.batch_syn, images.size(0))} iterations={args.iterations} "
          f"threads={torch.get_num_threads()} loss={loss:.5f} grad_lr={syn_lr.grad.item():.4g}")
    print(f"seconds_per_iteration={seconds:.3f} peak_rss_mib={rss:.0f}")


def run_train(args):
    if args.batch <= 0 or args.images < args.batch:
        raise SystemExit("pytorch_reference: --batch must be positive and --images at least --batch")
    net = ConvNet3()
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    x = torch.randn(args.batch, 3, 32, 32)
    y = torch.randint(0, CLASSES, (args.batch,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    step()  # warm-up
    steps = args.images // args.batch
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    seconds = time.perf_counter() - start
    params = sum(p.numel() for p in net.parameters())
    print(f"framework=pytorch torch={torch.__version__} network=ConvNet-3 width={WIDTH} "
          f"params={params} batch={args.batch} steps={steps} threads={torch.get_num_threads()} "
          f"loss={loss:.4f} seconds={seconds:.3f}")
    print(f"images_per_second={steps * args.batch / seconds:.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="mirror of `distill bench train`")
    tr.add_argument("--batch", type=int, default=256)
    tr.add_argument("--images", type=int, default=2560, help="timed images (after one warm-up step)")
    tm = sub.add_parser("tm", help="mirror of `distill bench tm`")
    tm.add_argument("--ipc", type=int, default=1)
    tm.add_argument("--syn-steps", type=int, default=50)
    tm.add_argument("--batch-syn", type=int, default=10)
    tm.add_argument("--iterations", type=int, default=3, help="timed iterations (after one warm-up)")
    for p in (tr, tm):
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.command == "tm" and min(args.ipc, args.syn_steps, args.batch_syn, args.iterations) <= 0:
        raise SystemExit("pytorch_reference: --ipc, --syn-steps, --batch-syn and --iterations must be positive")
    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    run_train(args) if args.command == "train" else run_tm(args)


if __name__ == "__main__":
    main()
