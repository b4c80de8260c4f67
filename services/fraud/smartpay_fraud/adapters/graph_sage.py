"""Optional GraphSAGE (PyTorch Geometric) on the card-device-IP graph: trained on the labelled past,
applied inductively to a later graph, it gives every node a fraud-likeness score that is stored in
the graph snapshot. Training-time only: needs the `graph` extra; serving never imports this."""

from __future__ import annotations

import numpy as np

from smartpay_fraud.domain.graph import PastGraph


def available() -> bool:
    try:
        import torch  # noqa: F401
        import torch_geometric  # noqa: F401
    except ImportError:
        return False
    return True


def _inputs(g: PastGraph):
    import torch

    n = len(g.keys)
    degree = np.bincount(g.edges.ravel(), minlength=n)
    kinds = np.array([k.split(":", 1)[0] for k in g.keys])
    # Structure only (no labels): the label is what the network learns to predict.
    x = np.column_stack([np.log1p(g.txns), np.log1p(degree), kinds == "card", kinds == "device", kinds == "ip"])
    edge_index = np.concatenate([g.edges, g.edges[::-1]], axis=1)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(edge_index, dtype=torch.long)


def node_scores(train: PastGraph, apply_to: list[PastGraph], epochs: int = 60, seed: int = 7,
                hidden: int = 16) -> list[np.ndarray]:
    import torch
    from torch_geometric.nn import SAGEConv

    torch.manual_seed(seed)
    torch.set_num_threads(2)

    class Sage(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = SAGEConv(5, hidden), SAGEConv(hidden, hidden)
            self.head = torch.nn.Linear(hidden, 1)

        def forward(self, x, edge_index):
            h = torch.relu(self.conv1(x, edge_index))
            h = torch.relu(self.conv2(h, edge_index))
            return self.head(h).squeeze(-1)

    model = Sage()
    x, edge_index = _inputs(train)
    y = torch.tensor(train.frauds > 0, dtype=torch.float32)
    pos_weight = torch.tensor(max(1.0, float((y == 0).sum() / max(1.0, float(y.sum())))))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    model.train()
    for _ in range(epochs):
        optimiser.zero_grad()
        loss = loss_fn(model(x, edge_index), y)
        loss.backward()
        optimiser.step()
    model.eval()
    out = []
    with torch.no_grad():
        for g in apply_to:
            gx, gei = _inputs(g)
            out.append(torch.sigmoid(model(gx, gei)).numpy().astype(np.float64))
    return out
