package dev.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A close notice the delivery executor rejects (a saturated bounded pool, or one shut down) is still
 * told to the sink exactly once, and never on a thread that holds the user's lock: it waits for the
 * next moment the engine holds no lock (the end of the close, the next tick, or the engine's close).
 * Before, it was told at once on the closing thread, inside the user lock of a connection close.
 */
class RejectedCloseNoticeTest {
  private final AtomicBoolean rejecting = new AtomicBoolean();
  private final Executor saturable =
      task -> {
        if (rejecting.get()) {
          throw new RejectedExecutionException("saturated");
        }
        task.run();
      };

  /** Records each close notice and whether the user's lock was held when it came. */
  private static final class ClosedSink implements PresenceSink {
    final List<CloseReason> notices = new ArrayList<>();
    final List<Boolean> underUserLock = new ArrayList<>();
    Object userLock;

    @Override
    public void onPresence(List<UserPresence> changes) {}

    @Override
    public void onTyping(List<TypingEvent> events) {}

    @Override
    public void onClosed(CloseReason reason) {
      notices.add(reason);
      underUserLock.add(Thread.holdsLock(userLock));
    }
  }

  @Test
  void aConnectionCloseToldToItsSubscriberWhileTheExecutorRejectsComesAfterTheUserLock() {
    try (Harness h = Harness.start(b -> b.deliveryExecutor(saturable))) {
      DeviceConnection phone = h.presence.connect("alice", "phone");
      ClosedSink sink = new ClosedSink();
      sink.userLock = h.engine().users.get("alice");
      h.presence.subscribe(phone, sink).watchUsers(List.of("bob"));
      h.time.advanceSeconds(2); // the snapshot's batch goes out while the executor still runs tasks

      rejecting.set(true);
      assertThat(phone.disconnect()).isTrue();

      assertThat(sink.notices).containsExactly(CloseReason.DISCONNECTED);
      assertThat(sink.underUserLock).containsExactly(false);
      h.time.advanceSeconds(5);
      assertThat(sink.notices).as("told once").hasSize(1);
    }
  }

  @Test
  void aNoticeDeferredByATakeoverIsToldOnceWithoutTheLock() {
    try (Harness h = Harness.start(b -> b.deliveryExecutor(saturable))) {
      DeviceConnection first = h.presence.connect("alice", "phone");
      ClosedSink sink = new ClosedSink();
      sink.userLock = h.engine().users.get("alice");
      h.presence.subscribe(first, sink);
      rejecting.set(true);

      h.presence.connect("alice", "phone"); // the new socket takes the device over

      assertThat(sink.notices).containsExactly(CloseReason.TAKEN_OVER);
      assertThat(sink.underUserLock).containsExactly(false);
    }
  }

  @Test
  void theEngineClosingWithARejectingExecutorTellsEveryNoticeOnce() {
    Harness h = Harness.start(b -> b.deliveryExecutor(saturable));
    DeviceConnection phone = h.presence.connect("alice", "phone");
    ClosedSink bound = new ClosedSink();
    bound.userLock = h.engine().users.get("alice");
    h.presence.subscribe(phone, bound);
    ClosedSink free = new ClosedSink();
    free.userLock = bound.userLock;
    h.presence.subscribe("carol", free).watchUsers(List.of("alice"));
    h.time.advanceSeconds(2);
    rejecting.set(true);

    h.close();

    assertThat(bound.notices).containsExactly(CloseReason.ENGINE_CLOSED);
    assertThat(bound.underUserLock).containsExactly(false);
    assertThat(free.notices).containsExactly(CloseReason.ENGINE_CLOSED);
  }
}
