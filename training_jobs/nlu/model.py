"""Joint intent + BIO slot tagger over syllables: embeddings (syllable, jamo, gazetteer
match, keyword-rules intent) → dilated residual 1-D convolutions → a slot head per character and a pooled intent
head. Small (well under 5 MB as ONNX) and fast on one CPU core."""

from __future__ import annotations

import torch
from torch import nn

from nabiyam.nlu.features import N_LEX, N_RULE
from nabiyam.nlu.text import N_CHO, N_JONG, N_JUNG


class NluNet(nn.Module):
    def __init__(self, n_chars: int, n_intents: int, n_tags: int, dim: int = 96, hidden: int = 128,
                 dilations: tuple[int, ...] = (1, 2, 4, 8), dropout: float = 0.2) -> None:
        super().__init__()
        self.char = nn.Embedding(n_chars, dim, padding_idx=0)
        self.cho = nn.Embedding(N_CHO + 1, dim, padding_idx=0)
        self.jung = nn.Embedding(N_JUNG + 1, dim, padding_idx=0)
        self.jong = nn.Embedding(N_JONG + 1, dim, padding_idx=0)
        self.lex = nn.Embedding(N_LEX, dim)
        self.rule = nn.Embedding(N_RULE, dim)
        self.inp = nn.Linear(dim, hidden)
        self.convs = nn.ModuleList(nn.Conv1d(hidden, hidden, 3, padding=d, dilation=d) for d in dilations)
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in dilations)
        self.drop = nn.Dropout(dropout)
        self.slot = nn.Linear(hidden, n_tags)
        self.intent = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
                                    nn.Linear(hidden, n_intents))

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = (self.char(features[..., 0]) + self.cho(features[..., 1]) + self.jung(features[..., 2])
             + self.jong(features[..., 3]) + self.lex(features[..., 4]) + self.rule(features[..., 5]))
        h = torch.relu(self.inp(self.drop(x)))  # (B, T, H)
        m = mask.unsqueeze(-1)
        for conv, norm in zip(self.convs, self.norms):
            y = conv((h * m).transpose(1, 2)).transpose(1, 2)
            h = norm(h + self.drop(torch.relu(y)))
        slots = self.slot(h)
        mean = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
        mx = (h + (m - 1.0) * 1e4).max(1).values
        intent = self.intent(torch.cat([mean, mx], dim=-1))
        return intent, slots
