"""Keelson checkpoint writer for training ranks: in-memory save into shm, restore from tiers."""
from .torch_state import save_state_dict, torch_available
from .writer import Checkpointer, SaveResult

__all__ = ["Checkpointer", "SaveResult", "save_state_dict", "torch_available"]
