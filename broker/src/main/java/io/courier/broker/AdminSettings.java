package io.courier.broker;

/** The {@code courier.admin.*} settings: whether the admin HTTP port is open, and where. */
public record AdminSettings(boolean enabled, String host, int port) { }
