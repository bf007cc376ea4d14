"""Fresh Jupyter kernels in a fraction of a second: each one forked from a warm interpreter.

Starting a Python kernel and importing torch costs about 2.5 CPU-seconds, more than most of
a page's notebook takes to run. The server imports the heavy third-party modules once
(``PRELOAD``: never the site's own code) and forks a new process for every kernel. Each
kernel is still fresh: its own process, an empty user namespace (a notebook that forgets
``import torch`` fails as it would anywhere), its own random seeds, nothing left from the
notebooks before it. Only ``import torch`` returns at once.

Usage, as jupyter_client starts a kernel: the kernel spec's command is
``python -m tools.kernel_server launch SOCKET -f {connection_file}``, a small launcher that
asks the server listening on ``SOCKET`` (``python -m tools.kernel_server serve SOCKET``) for
a kernel, hands it its own standard streams, forwards signals to it and exits with it.
:func:`kernel_spec` writes such a spec; :class:`KernelServer` runs the server, and
:func:`shared_kernel` starts one for the whole process and returns the kernel name to use;
:func:`wait_for_shared_kernel` waits until it accepts requests.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Imported by the server before it forks; a kernel that imports them finds them loaded.
# Not matplotlib: ipykernel chooses its backend when the kernel starts.
PRELOAD = ("torch", "torchvision", "numpy", "ipykernel.kernelapp")
KERNEL_NAME = "kb-fork"


def _serve(path: str, niceness: int, parent: int) -> None:
    """Accept kernel requests on the UNIX socket ``path`` until the process ``parent`` (the
    one that started the server) exits."""
    import importlib

    os.nice(niceness)
    # On a new machine the first `import matplotlib` builds the font cache and, if that takes
    # over 5 s, says so on stderr: in a kernel, an output of the page's notebook. Build it
    # first, in a process of its own (matplotlib must not be imported here, see PRELOAD).
    fonts = subprocess.Popen([sys.executable, "-c", "import matplotlib.font_manager"])
    try:
        for name in PRELOAD:
            importlib.import_module(name)
        if fonts.wait():
            raise RuntimeError("building matplotlib's font cache failed (see above)")
    except BaseException as error:  # the launchers stop waiting and show why
        Path(path + ".failed").write_text(f"{type(error).__name__}: {error}", encoding="utf-8")
        raise
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".new")
    listener.listen(16)
    os.rename(path + ".new", path)  # launchers wait for the socket to appear
    kernels: dict[socket.socket, int] = {}  # launcher connection -> kernel pid
    buffers: dict[socket.socket, bytes] = {}
    while os.getppid() == parent:
        readable, _, _ = select.select([listener, *buffers], [], [], 0.2)
        for conn in readable:
            if conn is listener:
                accepted, _ = listener.accept()
                buffers[accepted] = b""
                continue
            data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
            if not data:  # the launcher is gone (killed): so goes its kernel
                if conn in kernels:
                    _kill(kernels.pop(conn), signal.SIGKILL)
                buffers.pop(conn)
                conn.close()
                continue
            buffers[conn] += data
            while b"\n" in buffers[conn]:
                line, buffers[conn] = buffers[conn].split(b"\n", 1)
                message = json.loads(line)
                if "signal" in message and conn in kernels:
                    _kill(kernels[conn], message["signal"])
                elif "argv" in message:
                    kernels[conn] = _fork(message, fds, [listener, *buffers])
                for fd in fds:
                    os.close(fd)
                fds = []
        while kernels:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            for conn, kernel in list(kernels.items()):
                if kernel == pid:
                    conn.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
                    del kernels[conn]
    for kernel in kernels.values():
        _kill(kernel, signal.SIGKILL)


def _kill(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _fork(message: dict, fds: list[int], sockets: list[socket.socket]) -> int:
    """Fork a kernel for ``message`` with the launcher's standard streams ``fds``."""
    pid = os.fork()
    if pid:
        return pid
    try:  # the kernel: a process that inherited nothing but the preloaded modules
        for sock in sockets:
            sock.close()
        for target, fd in zip((0, 1, 2), fds, strict=False):
            os.dup2(fd, target)
            os.close(fd)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(message["cwd"])
        os.environ.clear()
        os.environ.update(message["env"])
        sys.path.pop(0)  # this module's directory, which a kernel started anew would not have
        import random

        import numpy

        random.seed()
        numpy.random.seed()  # noqa: NPY002 -- the legacy global generator, as a new process seeds it
        # Imported before the launcher's environment was known, ipykernel read no parent pid.
        parent = message["env"].get("JPY_PARENT_PID", "0")
        # No input history: kernels running at once would share its SQLite file, and its
        # saving thread prints its errors into whatever cell is running.
        history = "--HistoryManager.enabled=False"
        sys.argv = [
            "ipykernel_launcher",
            f"--IPKernelApp.parent_handle={parent}",
            history,
            *message["argv"],
        ]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _launch(path: str, argv: list[str]) -> int:
    """Ask the server for a kernel with ``argv``; forward signals; return its exit code."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for _ in range(1200):  # the server imports torch before it listens: up to 2 minutes
        try:
            conn.connect(path)
            break
        except FileNotFoundError:
            if os.path.exists(path + ".failed"):
                with open(path + ".failed", encoding="utf-8") as failed:
                    raise SystemExit(f"the kernel server failed: {failed.read()}") from None
            time.sleep(0.1)
    else:
        raise SystemExit(f"no kernel server at {path}")
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [0, 1, 2])

    def forward(signum: int, _frame: object) -> None:
        conn.sendall(json.dumps({"signal": signum}).encode() + b"\n")

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    reply = b""
    while True:
        try:
            chunk = conn.recv(4096)
        except InterruptedError:
            continue
        if not chunk:
            return 1
        reply += chunk
        if reply.endswith(b"}"):
            return int(json.loads(reply)["exit"])


def kernel_spec(directory: Path, path: str) -> Path:
    """Write the spec of kernels served from ``path`` under ``directory`` (a JUPYTER_PATH entry)."""
    spec = directory / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "tools.kernel_server", "launch", path, "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3 (forked)", "language": "python"}),
        encoding="utf-8",
    )
    return spec


class KernelServer:
    """A running server and the kernel spec that uses it; ``close()`` stops both."""

    def __init__(self, env: dict[str, str] | None = None, niceness: int = 0) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="kb-kernels-"))
        self.socket = str(self.directory / "server.sock")
        kernel_spec(self.directory, self.socket)
        # Started, not waited for: it listens once it has imported PRELOAD.
        command = [sys.executable, "-m", "tools.kernel_server", "serve", self.socket]
        self._process = subprocess.Popen([*command, str(niceness), str(os.getpid())], env=env)

    def wait(self) -> None:
        """Block until the server accepts requests; raise if it failed.

        Its start (imports on a loaded machine) does not then count against a client's
        kernel start-up timeout."""
        while not os.path.exists(self.socket):
            if self._process.poll() is not None:
                failed = Path(self.socket + ".failed")
                reason = (
                    failed.read_text(encoding="utf-8") if failed.exists() else "no reason given"
                )
                raise RuntimeError(f"the kernel server exited: {reason}")
            time.sleep(0.1)

    def close(self) -> None:
        self._process.kill()
        self._process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


_SHARED: list[KernelServer] = []


def shared_kernel(niceness: int = 0) -> str:
    """Start the process's kernel server (once, with the current environment), put its kernel
    spec on ``JUPYTER_PATH``, and return the kernel name to give nbclient or nbconvert.
    ``niceness`` lowers the kernels' priority (``os.nice``)."""
    if sys.platform != "linux":  # fork after importing torch is only safe on Linux
        return "python3"
    if not _SHARED:
        server = KernelServer(env=dict(os.environ), niceness=niceness)
        atexit.register(server.close)
        _SHARED.append(server)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [str(server.directory), *filter(None, [os.environ.get("JUPYTER_PATH")])]
        )
    return KERNEL_NAME


def wait_for_shared_kernel() -> None:
    """Block until the server :func:`shared_kernel` started accepts requests (if it started one)."""
    for server in _SHARED:
        server.wait()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        _serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "launch":
        sys.exit(_launch(sys.argv[2], sys.argv[3:]))
