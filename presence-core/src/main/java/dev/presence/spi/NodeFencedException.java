package dev.presence.spi;

/**
 * The store refused a device write from a node whose lease ran out or was claimed (fencing). The node
 * must renew its lease (or join again and re-assert what it holds) before its writes count. Nothing
 * changed.
 */
public class NodeFencedException extends PresenceStoreException {
  private static final long serialVersionUID = 1L;

  /** The node that was refused. */
  private final String nodeId;

  /**
   * Creates the exception.
   *
   * @param nodeId the node that was refused
   * @param message why
   */
  public NodeFencedException(String nodeId, String message) {
    super(message, null);
    this.nodeId = nodeId;
  }

  /**
   * The node that was refused.
   *
   * @return the node's id
   */
  public String nodeId() {
    return nodeId;
  }
}
