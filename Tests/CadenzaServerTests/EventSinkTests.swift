import Foundation
import NIOCore
import Testing

@testable import CadenzaServer

/// A live client's waiting bytes: what arrives while it writes is taken in one go, in order;
/// closing or cancelling ends it; a client too far behind is cut off instead of buffered.
@Suite struct EventSinkTests {
    static func text(_ buffer: ByteBuffer?) -> String? { buffer.map { String(buffer: $0) } }

    @Test func eventsArrivingDuringAWriteAreTakenTogetherInOrder() async {
        let sink = EventSink()
        sink.append(ByteBuffer(string: "a\n"))
        sink.append(ByteBuffer(string: "b\n"))
        sink.append(ByteBuffer(string: "c\n"))
        #expect(Self.text(await sink.next()) == "a\nb\nc\n")
        // A waiting writer gets the next event as soon as it is appended.
        async let next = sink.next()
        try? await Task.sleep(for: .milliseconds(50))
        sink.append(ByteBuffer(string: "d\n"))
        #expect(Self.text(await next) == "d\n")
    }

    @Test func closingWakesAWaitingWriterAndDropsLaterEvents() async {
        let sink = EventSink()
        async let next = sink.next()
        try? await Task.sleep(for: .milliseconds(50))
        sink.close()
        #expect(await next == nil)
        sink.append(ByteBuffer(string: "late\n"))
        #expect(await sink.next() == nil)
    }

    @Test func cancellingTheWriterEndsIt() async {
        let sink = EventSink()
        let task = Task { await sink.next() }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        #expect(await task.value == nil)
    }

    @Test func aClientAMegabyteBehindIsCutOff() async {
        let sink = EventSink()
        let chunk = ByteBuffer(string: String(repeating: "x", count: 64 * 1024))
        for _ in 0..<(EventSink.maxPendingBytes / chunk.readableBytes + 1) { sink.append(chunk) }
        #expect(await sink.next() == nil)
    }
}
