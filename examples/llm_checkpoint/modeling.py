# The custom model class of the example checkpoint (copied into the checkpoint directory as
# modeling.py, the way training code ships its model class next to the weights): a tiny GPT-ish
# causal LM with extra multi-token-prediction heads. `config_class` follows the transformers
# convention, so a loader builds the config from config.json without guessing.
import torch
from torch import nn


class TinyMTPConfig:
    model_type = "tiny-mtp"

    def __init__(self, vocab_size=16, n_embd=8, n_layer=1, mtp_heads=2, **extra):
        self.vocab_size = vocab_size
        self.n_embd = n_embd
        self.n_layer = n_layer
        self.mtp_heads = mtp_heads
        self.extra = extra

    @classmethod
    def from_dict(cls, d):
        return cls(**d)


class Block(nn.Module):
    def __init__(self, e):
        super().__init__()
        self.ln = nn.LayerNorm(e)
        self.mlp = nn.Module()
        self.mlp.fc_in = nn.Linear(e, 4 * e)
        self.mlp.fc_out = nn.Linear(4 * e, e)

    def forward(self, h):
        return h + self.mlp.fc_out(torch.relu(self.mlp.fc_in(self.ln(h))))


class GPTMTPForCausalLM(nn.Module):
    config_class = TinyMTPConfig

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.Module()
        self.transformer.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.transformer.h = nn.ModuleList([Block(config.n_embd) for _ in range(config.n_layer)])
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.mtp_heads = nn.ModuleList([nn.Linear(config.n_embd, config.n_embd) for _ in range(config.mtp_heads)])

    def forward(self, input_ids):
        h = self.transformer.wte(input_ids)
        for block in self.transformer.h:
            h = block(h)
        # next-token logits, then one set of logits per extra prediction head
        return torch.stack([self.lm_head(h)] + [self.lm_head(head(h)) for head in self.mtp_heads])
