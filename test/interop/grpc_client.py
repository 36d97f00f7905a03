"""A gRPC client nobody here wrote: Debian's python3-grpcio calling a meshrpc GrpcServer.

Usage: python3 grpc_client.py HOST:PORT RPC_PROTO_DIR GREETER_PROTO_DIR
Generates stubs for rpc.proto and the generated greeter.proto into a temp dir with Debian's protoc
(protobuf-compiler, 3.21) and its gRPC Python plugin (protobuf-compiler-grpc): the protoc bundled
in Debian's python3-grpc-tools predates proto3 `optional` fields. Then prints one JSON object with
what each call returned (the vitest test checks it).
"""
import importlib
import json
import os
import subprocess
import sys
import tempfile

import grpc


def stubs(proto_dir, name, out):
    subprocess.run(
        [
            "protoc",
            f"-I{proto_dir}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
            os.path.join(proto_dir, f"{name}.proto"),
        ],
        check=True,
    )
    return importlib.import_module(f"{name}_pb2"), importlib.import_module(f"{name}_pb2_grpc")


def main():
    address, proto_dir, greeter_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    out = tempfile.mkdtemp()
    sys.path.insert(0, out)
    rpc_pb2, rpc_grpc = stubs(proto_dir, "rpc", out)
    greeter_pb2, greeter_grpc = stubs(greeter_dir, "greeter", out)
    result = {}
    with grpc.insecure_channel(address) as channel:
        generic = rpc_grpc.MessageServiceStub(channel)
        # The seed's byte endpoint: namespace "greeter" holds one service, "hello".
        r = generic.Command(rpc_pb2.RPCMessage(Namespace="greeter", Data=b"Max"), timeout=5)
        result["hello"] = r.Data.decode()
        # A typed service over the generic contract: JSON named arguments, service in metadata.
        r = generic.Command(
            rpc_pb2.RPCMessage(Namespace="default", Data=json.dumps({"name": "Py"}).encode()),
            metadata=[("meshrpc-service", "greeter"), ("meshrpc-method", "greet")],
            timeout=5,
        )
        result["generic_greet"] = json.loads(r.Data)
        # The greeter under the proto `meshrpc expose --proto` generated for it.
        greeter = greeter_grpc.GreeterStub(channel)
        result["greet"] = greeter.greet(greeter_pb2.GreetRequest(name="Python"), timeout=5).result
        card = greeter.sendPostcard(
            greeter_pb2.SendPostcardRequest(card=greeter_pb2.Postcard(address="1 Mesh Road", recipient="World", message="hi")),
            timeout=5,
        ).result
        result["postcard"] = {"address": card.address, "recipient": card.recipient, "message": card.message}
        # Error codes arrive as gRPC statuses.
        try:
            generic.Command(rpc_pb2.RPCMessage(Namespace="nowhere", Data=b""), timeout=5)
            result["not_found"] = "no error"
        except grpc.RpcError as e:
            result["not_found"] = e.code().name
        # grpc-timeout becomes the handler's deadline.
        try:
            generic.Command(
                rpc_pb2.RPCMessage(Namespace="default", Data=json.dumps({"ms": 3000}).encode()),
                metadata=[("meshrpc-service", "slow"), ("meshrpc-method", "sleep")],
                timeout=0.2,
            )
            result["deadline"] = "no error"
        except grpc.RpcError as e:
            result["deadline"] = e.code().name
    print(json.dumps(result))


if __name__ == "__main__":
    main()
