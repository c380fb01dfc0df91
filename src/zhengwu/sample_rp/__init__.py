"""A sample relying party (示例接入系统): a tiny department system that signs its users
in through the platform's OpenID Connect provider. Standalone WSGI, no Django."""
