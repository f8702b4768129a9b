import ArgumentParser
import AttentionEngine

/// `attn`: train, run and inspect libattention models from the terminal.
@main
struct AttnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attn",
        abstract: "Train, run and inspect small neural networks with libattention (try: attn tour).",
        // The library's version, attn_version() in Sources/AttentionCAPI/Library.swift (a test
        // in Tests/cli keeps the two equal).
        version: "0.1.0",
        subcommands: [TourCommand.self, TrainCommand.self, GenerateCommand.self, ChatCommand.self, AttendCommand.self,
                      PoemsCommand.self, EmbedCommand.self, SearchCommand.self, QuantizeCommand.self, BenchCommand.self]
    )
}
