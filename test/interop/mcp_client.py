"""An MCP client Phoenix does not control: the Python `mcp` SDK against Phoenix's /mcp.

Usage: mcp_client.py --url URL --token KEY --mode legacy|2026-07-28 [--publish-key KEY]

Connects on the asked revision (legacy = the 2025-11-25 initialize handshake; 2026-07-28 =
stateless requests after server/discover), lists the tools, publishes one event with
publish_event and calls a tool with bad arguments. Prints one JSON object.
"""

import argparse
import asyncio
import json

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--mode", required=True, choices=["legacy", "2026-07-28"])
    ap.add_argument("--publish-key", default="py-mcp")
    a = ap.parse_args()

    http = httpx2.AsyncClient(headers={"authorization": f"Bearer {a.token}"}, timeout=30)
    async with http, Client(streamable_http_client(a.url, http_client=http), mode=a.mode) as client:
        tools = await client.list_tools()
        published = await client.call_tool(
            "publish_event",
            {"topic": "events.agent", "type": "py.note", "key": a.publish_key, "payload": {"text": f"from python mcp on {a.mode}"}},
            read_timeout_seconds=30,
        )
        invalid = await client.call_tool("publish_event", {"topic": "no.such.topic", "type": "x.y", "payload": {}}, read_timeout_seconds=30)
        print(
            json.dumps(
                {
                    "protocolVersion": client.protocol_version,
                    "tools": sorted(t.name for t in tools.tools),
                    "published": {"isError": published.is_error, "structured": published.structured_content},
                    "invalid": {"isError": invalid.is_error, "text": invalid.content[0].text if invalid.content else None},
                }
            )
        )


asyncio.run(main())
