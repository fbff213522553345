"""The embedded Hologram stack: a real IPFS node and the reference GraphQL marketplace on loopback."""
