"""Customer screen: aiohttp server and the static page it serves."""
