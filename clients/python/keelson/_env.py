"""Reads rank, world size, job and node from the launcher's environment variables."""
import os
import socket
from typing import Mapping, Optional

DEFAULT_SOCKET = "/run/keelson/train.sock"

RANK_VARS = ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK")
LOCAL_RANK_VARS = ("LOCAL_RANK", "SLURM_LOCALID", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID")
WORLD_VARS = ("WORLD_SIZE", "SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE")
JOB_VARS = ("KEELSON_JOB", "SLURM_JOB_ID", "TORCHELASTIC_RUN_ID", "PBS_JOBID", "LSB_JOBID", "JOB_ID")
NODE_VARS = ("KEELSON_NODE", "SLURMD_NODENAME")


def _int(env: Mapping[str, str], names) -> Optional[int]:
    for n in names:
        v = env.get(n, "").strip()
        if v.isdigit():
            return int(v)
    return None


def detect(env: Optional[Mapping[str, str]] = None) -> dict:
    """The identity of this process from its environment: rank, local_rank, world, job, node, socket, udp_port."""
    env = os.environ if env is None else env
    job = None
    for n in JOB_VARS:
        v = env.get(n, "").strip()
        # torchrun sets TORCHELASTIC_RUN_ID=none when no rendezvous id was given.
        if v and v.lower() != "none":
            job = v
            break
    node = None
    for n in NODE_VARS:
        if env.get(n, "").strip():
            node = env[n].strip()
            break
    if node is None:
        try:
            node = socket.gethostname()
        except OSError:
            node = None
    udp = _int(env, ("KEELSON_UDP_PORT",))
    return {
        "rank": _int(env, RANK_VARS) or 0,
        "local_rank": _int(env, LOCAL_RANK_VARS),
        "world": _int(env, WORLD_VARS),
        "job": job or "local",
        "node": node,
        "socket": env.get("KEELSON_SOCKET") or env.get("KEELSON_TRAIN_SOCKET") or DEFAULT_SOCKET,
        "udp_port": udp if udp and 0 < udp < 65536 else None,
        "disabled": env.get("KEELSON_DISABLE", "").strip().lower() in ("1", "true", "yes"),
    }
