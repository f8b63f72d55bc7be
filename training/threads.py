"""Control of the number of PyTorch CPU threads during training."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

# The LSTM here multiplies small matrices (a batch of 32 by a few hundred units) once
# per time step, so extra threads add synchronisation at every step for little work.
# In one measurement on a 2-core machine shared with other processes, a training step
# of the default BiLSTM took 0.4-0.7 s on 1 thread and 0.9-1.6 s on 2.
DEFAULT_TRAINING_THREADS = 1


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run the block with `count` PyTorch CPU threads, then restore the old count.

    `None` keeps the current setting. The setting is global to the process, so other
    threads running PyTorch meanwhile use it too.
    """
    if count is None:
        yield
        return
    if count < 1:
        raise ValueError(f"thread count must be at least 1, got {count}")
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
