"""The Llama MLP facts of aimc/catalog/models.yaml recomputed from Meta's own sources (docs/operations/adapters.md
"Where each model's MLP size comes from"): meta-llama/llama-models `models/sku_list.py` gives each model's
`arch_args` (dim, n_layers, n_heads, n_kv_heads, ffn_dim_multiplier, multiple_of) and Meta's reference model
`models/llama3/reference_impl/model.py` computes the MLP width from them (FeedForward, called by TransformerBlock).
Both files are vendored byte-for-byte under tests/fixtures/meta-llama-models (PROVENANCE-crds-configs.md); the
width is computed by running the reference model's own statements, read from the vendored file, not a copy of them."""

from __future__ import annotations

import ast
import hashlib
from types import SimpleNamespace

import pytest
from conftest import REPO

from aimc.catalog.model_facts import builtin_models

META = REPO / "tests" / "fixtures" / "meta-llama-models"
SKU_LIST = META / "models" / "sku_list.py"
REFERENCE_MODEL = META / "models" / "llama3" / "reference_impl" / "model.py"
# The git blob of each vendored file at meta-llama/llama-models@8c88b8c0 (PROVENANCE-crds-configs.md).
BLOBS = {
    "models/sku_list.py": "7bac7dd2ca71b5f3a9d8c5dc08ff492a82d201ee",
    "models/llama3/reference_impl/model.py": "6045272baeaf39b4e7ef21d0d160c9c2a047fa2c",
    "models/llama3/LICENSE": "1d55dd61bd26b70bd837e6739d6baf979ce30877",
    "models/llama3_1/LICENSE": "32a414bbefb034d695881ec36996406fef6bb941",
    "models/llama3_2/LICENSE": "83f13c3a5da0106959dd8cbee0eecfd4e6cef3d2",
    "models/llama3_3/LICENSE": "2c97b69e3c309cbaa55bf7e4a4c48b8c18ff8276",
}
# Every Llama 3.x model of the catalog: each must be found in Meta's SKU list under its id or an alias.
LLAMA_3 = {
    "meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-3B-Instruct", "meta-llama/Llama-3-8B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.3-70B-Instruct", "meta-llama/Llama-3.1-405B-Instruct",
}


def git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def sku_arch_args() -> dict[str, dict]:
    """huggingface_repo -> arch_args of the SKU list's `Model(...)` entries, the first one of a repository as
    sku_list.resolve_model returns it (405B has bf16-mp8, FP8 and bf16-mp16 entries under one repository)."""
    tree = ast.parse(SKU_LIST.read_text())
    constants = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
                 if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    namespace: dict = {"__builtins__": {}, **constants}
    for node in tree.body:  # def arch_args_1b() -> dict: return {...}, called as arch_args_1b() or **arch_args_1b()
        if isinstance(node, ast.FunctionDef) and isinstance(node.body[0], ast.Return) and isinstance(
                node.body[0].value, ast.Dict):
            value = eval(compile(ast.Expression(node.body[0].value), str(SKU_LIST), "eval"), namespace)
            namespace[node.name] = lambda value=value: dict(value)
    calls = sorted((node for node in ast.walk(tree) if isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name) and node.func.id == "Model"), key=lambda n: n.lineno)
    out: dict[str, dict] = {}
    for call in calls:
        keywords = {k.arg: k.value for k in call.keywords}
        repo, args = keywords.get("huggingface_repo"), keywords.get("arch_args")
        if not isinstance(repo, ast.Constant) or args is None:
            continue
        out.setdefault(repo.value, eval(compile(ast.Expression(args), str(SKU_LIST), "eval"), namespace))
    return out


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    return next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == name)


def reference_hidden_dim(arch_args: dict) -> int:
    """The width of the MLP Meta's reference model builds for `arch_args`: TransformerBlock's `hidden_dim=` argument
    to FeedForward, then FeedForward.__init__'s statements up to its first layer, both run as the file writes them."""
    tree = ast.parse(REFERENCE_MODEL.read_text())
    block_init = next(f for f in _class(tree, "TransformerBlock").body if isinstance(f, ast.FunctionDef))
    call = next(node for node in ast.walk(block_init) if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name) and node.func.id == "FeedForward")
    keywords = {k.arg: k.value for k in call.keywords}
    args = SimpleNamespace(**arch_args)
    namespace = {"args": args, "hidden_dim": None, "multiple_of": arch_args["multiple_of"],
                 "ffn_dim_multiplier": arch_args.get("ffn_dim_multiplier")}
    namespace["hidden_dim"] = eval(compile(ast.Expression(keywords["hidden_dim"]), "model.py", "eval"),
                                   {"__builtins__": {}}, namespace)
    init = next(f for f in _class(tree, "FeedForward").body if isinstance(f, ast.FunctionDef))
    statements = []
    for statement in init.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Attribute):
            break  # self.w1 = ...: the width is computed
        if isinstance(statement, ast.Expr):
            continue  # super().__init__()
        statements.append(statement)
    exec(compile(ast.Module(statements, []), "model.py", "exec"), {"__builtins__": {"int": int}}, namespace)
    return namespace["hidden_dim"]


@pytest.mark.parametrize("path", sorted(BLOBS))
def test_the_vendored_meta_files_are_the_upstream_blobs(path):
    assert git_blob((META / path).read_bytes()) == BLOBS[path]


def test_the_reference_model_computes_the_known_widths():
    # Llama 2 7B (dim 4096, multiple_of 256, no multiplier): 11008, its published intermediate_size.
    assert reference_hidden_dim({"dim": 4096, "multiple_of": 256, "ffn_dim_multiplier": None}) == 11008


@pytest.mark.parametrize("model_id", sorted(LLAMA_3))
def test_the_catalog_llama_facts_are_metas(model_id):
    skus = sku_arch_args()
    model = next(m for m in builtin_models() if m.id == model_id)
    repo = next(name for name in (model.id, *model.aliases) if name in skus)
    arch = skus[repo]
    assert model.intermediate_size == reference_hidden_dim(arch)
    assert (model.layers, model.hidden_size, model.attention_heads, model.kv_heads) == (
        arch["n_layers"], arch["dim"], arch["n_heads"], arch["n_kv_heads"])
    assert model.head_dim == arch["dim"] // arch["n_heads"]  # Attention: head_dim = dim // n_heads


def test_every_catalog_llama_3_is_checked():
    skus = sku_arch_args()
    found = {m.id for m in builtin_models() if any(name in skus for name in (m.id, *m.aliases))}
    assert found == LLAMA_3
