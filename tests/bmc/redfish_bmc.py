#!/usr/bin/env python3
"""A test-only Redfish BMC: Debian packages no Redfish emulator (only clients), so
tests/bmc/bmc.sh and the lab talk to this one. One ComputerSystem over HTTPS with
HTTP basic authentication: GET /redfish/v1/Systems/ID (PowerState, Boot),
POST .../Actions/ComputerSystem.Reset and PATCH of Boot's override, as a BMC does.

  redfish_bmc.py --port N --cert CERT --key KEY --user USER --password-file FILE
                 --system ID --dir DIR [--on-cmd CMD [--soft-cmd CMD]]

DIR/power holds 1 or 0, DIR/boot "TARGET ENABLED", DIR/calls.log one line per
request that changed something ("reset On", "boot Pxe Continuous"). With --on-cmd
the system is a machine, as tests/bmc/ipmi_chassis makes it for ipmi_sim: power on
runs the command (through sh, in a session of its own), the power is on while it
runs, power off stops it (SIGTERM), GracefulShutdown runs --soft-cmd (the ACPI
power button). It prints "redfish-bmc: listening on PORT" once it answers.
"""
import argparse
import base64
import json
import os
import signal
import ssl
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESETS = {"On": 1, "ForceOff": 0, "GracefulShutdown": 0, "ForceRestart": 1, "PowerCycle": 1}  # power after
TARGETS = {"None", "Pxe", "Hdd", "Cd", "BiosSetup"}
ENABLED = {"Disabled", "Once", "Continuous"}


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--port", "--cert", "--key", "--user", "--password-file", "--system", "--dir"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--on-cmd")
    ap.add_argument("--soft-cmd")
    args = ap.parse_args()
    with open(args.password_file) as f:
        password = f.read().rstrip("\r\n")
    expected_auth = "Basic " + base64.b64encode(("%s:%s" % (args.user, password)).encode()).decode()
    system_path = "/redfish/v1/Systems/" + args.system

    def read(name, default):
        try:
            with open(os.path.join(args.dir, name)) as f:
                return f.read().strip()
        except OSError:
            return default

    def write(name, value):
        with open(os.path.join(args.dir, name), "w") as f:
            f.write(value + "\n")

    def log(line):
        with open(os.path.join(args.dir, "calls.log"), "a") as f:
            f.write(line + "\n")

    machine = {}

    def machine_alive():
        proc = machine.get("proc")
        return proc is not None and proc.poll() is None

    def power_on():
        if args.on_cmd:
            return machine_alive()
        return read("power", "0") == "1"

    def set_power(on):
        if not args.on_cmd:
            write("power", "1" if on else "0")
        elif on and not machine_alive():
            machine["proc"] = subprocess.Popen(["sh", "-c", args.on_cmd], start_new_session=True,
                                               stdin=subprocess.DEVNULL)
        elif not on and machine_alive():
            machine["proc"].terminate()
            try:
                machine["proc"].wait(timeout=10)
            except subprocess.TimeoutExpired:
                machine["proc"].kill()

    def soft_off():
        if args.on_cmd and args.soft_cmd:
            subprocess.run(["sh", "-c", args.soft_cmd], timeout=30)
        else:
            set_power(False)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            pass

        def answer(self, status, body=None):
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def error(self, status, message):
            self.answer(status, {"error": {"code": "Base.1.0.GeneralError", "message": message}})

        def authorised(self):
            if self.headers.get("Authorization") == expected_auth:
                return True
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="redfish"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                return json.loads(self.rfile.read(min(length, 65536)) or b"{}")
            except ValueError:
                return None

        def do_GET(self):
            if not self.authorised():
                return
            if self.path != system_path:
                return self.error(404, "no resource " + self.path)
            target, enabled = read("boot", "None Disabled").split()
            self.answer(200, {"@odata.id": system_path, "Id": args.system,
                              "PowerState": "On" if power_on() else "Off",
                              "Boot": {"BootSourceOverrideTarget": target, "BootSourceOverrideEnabled": enabled}})

        def do_POST(self):
            if not self.authorised():
                return
            if self.path != system_path + "/Actions/ComputerSystem.Reset":
                return self.error(404, "no action " + self.path)
            body = self.body()
            kind = body.get("ResetType") if isinstance(body, dict) else None
            if kind not in RESETS:
                return self.error(400, "ResetType must be one of " + ", ".join(sorted(RESETS)))
            log("reset " + kind)
            if kind == "GracefulShutdown":
                soft_off()
            else:
                if kind in ("ForceRestart", "PowerCycle"):
                    set_power(False)
                set_power(RESETS[kind] == 1)
            self.answer(204)

        def do_PATCH(self):
            if not self.authorised():
                return
            if self.path != system_path:
                return self.error(404, "no resource " + self.path)
            body = self.body()
            boot = body.get("Boot") if isinstance(body, dict) else None
            target = boot.get("BootSourceOverrideTarget") if isinstance(boot, dict) else None
            enabled = boot.get("BootSourceOverrideEnabled", "Once") if isinstance(boot, dict) else None
            if target not in TARGETS or enabled not in ENABLED:
                return self.error(400, "Boot.BootSourceOverrideTarget/Enabled: unknown values")
            write("boot", "%s %s" % (target, enabled))
            log("boot %s %s" % (target, enabled))
            self.answer(204)

    server = ThreadingHTTPServer(("127.0.0.1", int(args.port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    # Stopping the BMC stops the machine it powers, as pulling a server's plug would.
    def stop(signum, frame):
        set_power(False)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    print("redfish-bmc: listening on %s" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
