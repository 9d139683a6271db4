package io.courier.bench;

import io.courier.bench.raw.CourierWire;
import io.courier.bench.raw.MqttWire;
import io.courier.bench.raw.NatsWire;
import io.courier.bench.raw.Wire;
import io.courier.loadgen.CourierDriver;
import io.courier.loadgen.Driver;

import java.util.List;

/**
 * One system the suite measures, in the three ways it is spoken to: through its own Java client ({@code client}),
 * as raw pre-encoded frames ({@code wire}), and by the idle-connections scenario's selector ({@code idle}).
 */
public record Contender(String system, Driver client, Wire wire, IdleConnections.Protocol idle) {

    /** The names {@link #of} knows. */
    public static final List<String> SYSTEMS = List.of("courier", "nats", "mosquitto");

    /** {@code server} is host:port. */
    public static Contender of(String system, String server) {
        return switch (system) {
            case "courier" -> new Contender("courier", new CourierDriver(List.of(server)), new CourierWire(),
                    IdleConnections.Protocol.COURIER);
            case "nats" -> new Contender("nats", new NatsDriver(server), new NatsWire(), IdleConnections.Protocol.NATS);
            case "mosquitto", "mqtt" -> new Contender("mosquitto", new MqttDriver(server), new MqttWire(),
                    IdleConnections.Protocol.MQTT);
            default -> throw new IllegalArgumentException("unknown system " + system + ": use one of " + SYSTEMS);
        };
    }
}
