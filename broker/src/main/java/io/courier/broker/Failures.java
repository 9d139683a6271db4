package io.courier.broker;

/**
 * Which failures the broker contains to the one link whose handling threw. Everything an individual link can cause
 * is contained: exceptions, assertion errors, a stack overflow in one frame's handling, a class that fails to load
 * for one code path. The exceptions are the {@link VirtualMachineError}s other than stack overflow (out of memory,
 * an internal JVM error): after one of those no link's state can be trusted, so they propagate, Pekko treats them
 * as fatal and the process exits, for its supervisor (systemd, Kubernetes) to restart it.
 */
public final class Failures {

    private Failures() {
    }

    /** Whether a failure of one link's handling may be contained to that link. */
    public static boolean containable(Throwable t) {
        return !(t instanceof VirtualMachineError) || t instanceof StackOverflowError;
    }
}
