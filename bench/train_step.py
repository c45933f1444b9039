"""Time one training step of the article's MLP GAN in PyTorch.

One step is one discriminator update and one generator update on a batch of
64 (BCE, Adam lr 2e-4, betas 0.5/0.999, latent 100), the same model and step
as pipe's torch.BenchmarkGANStep. Prints "python_ms_per_step <ms>" (wall
time) and "python_cpu_ms_per_step <ms>" (CPU time of all threads).
Run with /usr/bin/python3 (Debian's python3-torch); bench/train_step.sh sets
OMP_WAIT_POLICY and OPENBLAS_NUM_THREADS.
"""
import sys
import time

import torch
from torch import nn


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(1)

    G = nn.Sequential(
        nn.Linear(100, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 784), nn.Tanh())
    D = nn.Sequential(
        nn.Linear(784, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 1), nn.Sigmoid())
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCELoss()
    real = torch.rand(64, 1, 28, 28)
    ones, zeros = torch.ones(64, 1), torch.zeros(64, 1)

    def step():
        with torch.no_grad():
            fake = G(torch.randn(64, 100))
        loss_d = bce(D(real.flatten(1)), ones) + bce(D(fake), zeros)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_d.item()

        loss_g = bce(D(G(torch.randn(64, 100))), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        loss_g.item()

    for _ in range(20):
        step()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"python_ms_per_step {1000 * elapsed / steps:.3f}")
    # CPU time of every thread, user and system, as BenchmarkGANStep's
    # cpu-ms/op.
    print(f"python_cpu_ms_per_step {1000 * cpu / steps:.3f}")


if __name__ == "__main__":
    main()
