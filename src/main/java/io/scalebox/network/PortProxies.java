package io.scalebox.network;

import java.io.IOException;
import java.net.InetSocketAddress;

/** Opens a VM's host port to its guest's SSH port ({@link ProxyLoop}); closing it ends the proxy. */
@FunctionalInterface
public interface PortProxies {
    AutoCloseable open(String vmId, int hostPort, InetSocketAddress guest) throws IOException;
}
