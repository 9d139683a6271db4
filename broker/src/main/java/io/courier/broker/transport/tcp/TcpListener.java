package io.courier.broker.transport.tcp;

import io.courier.broker.session.ConnectionsSupervisor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Binds the client TCP port with Pekko Streams and hands every accepted socket to the connections supervisor,
 * which gives it its own {@code Connection} actor. (Pekko enables TCP_NODELAY on accepted sockets.)
 */
public final class TcpListener {

    private TcpListener() {
    }

    /**
     * Binds {@code host:port} with listen(2)'s {@code backlog}; the stage completes with the binding, or fails when
     * the port cannot be bound.
     */
    public static CompletionStage<Tcp.ServerBinding> bind(ActorSystem<?> system, String host, int port, int backlog,
                                                          ActorRef<ConnectionsSupervisor.Command> supervisor) {
        return Tcp.get(system)
                .bind(host, port, backlog, List.of(), false, Optional.empty())
                .to(Sink.foreach(incoming -> supervisor.tell(new ConnectionsSupervisor.Accept(incoming))))
                .run(Materializer.matFromSystem(system));
    }
}
