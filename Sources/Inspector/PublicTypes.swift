import PacketCapture

/// Live-capture settings, as the command-line tool sets them.
package typealias LiveCaptureOptions = PacketCapture.LiveCaptureOptions
/// A problem with an input, as the command-line tool reports it.
package typealias CaptureDiagnostic = PacketCapture.CaptureDiagnostic
